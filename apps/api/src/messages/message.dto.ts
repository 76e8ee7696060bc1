import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsObject, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { IsOptionalNotNull } from '../http/validation.js';
import { OUTBOUND_STATUSES, type ContactEntity, type InboundMessageEntity, type OutboundMessageEntity, type OutboundStatus } from '#database';
import { PaginationQueryDto } from '../http/pagination.dto.js';

export class TemplateParameterDto {
  @ApiPropertyOptional({ example: 'livello', description: 'Named parameter; leave out for positional {{1}}' })
  @IsOptional()
  @Matches(/^[a-z0-9_]{1,64}$/, { message: 'name must be lower-case letters, digits and underscores' })
  name?: string;

  @ApiProperty({ example: 'ARANCIONE' })
  @IsString()
  @Length(1, 1024)
  text!: string;
}

export class SendTemplateDto {
  @ApiProperty({ example: 'allerta_meteo' })
  @Matches(/^[a-z0-9_]{1,512}$/, { message: 'name must be the approved template name (lower-case letters, digits, underscores)' })
  name!: string;

  @ApiPropertyOptional({ example: 'it', default: 'it' })
  @IsOptional()
  @Matches(/^[a-z]{2,3}(_[A-Z]{2})?$/, { message: 'languageCode must look like it or en_US' })
  languageCode?: string;

  @ApiPropertyOptional({ type: [TemplateParameterDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(30)
  @ValidateNested({ each: true })
  @Type(() => TemplateParameterDto)
  body?: TemplateParameterDto[];
}

export class SendMessageDto {
  @ApiProperty({ description: 'The comune number to send from' })
  @IsUUID()
  numberId!: string;

  @ApiProperty({ example: '+39 333 123 4567', description: 'The citizen: Italian or international phone number' })
  @IsString()
  @Length(3, 32)
  to!: string;

  @ApiPropertyOptional({
    example: 'Buongiorno, la sua segnalazione è stata presa in carico.',
    description: 'Free text: only within 24 h of the citizen’s last message',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 4096)
  text?: string;

  @ApiPropertyOptional({ type: SendTemplateDto, description: 'An approved WhatsApp template: allowed at any time' })
  @IsOptionalNotNull()
  @IsObject({ message: 'template must be an object' })
  @ValidateNested()
  @Type(() => SendTemplateDto)
  template?: SendTemplateDto;

  @ApiPropertyOptional({ description: 'wamid of the citizen’s message to quote' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  replyToWamid?: string;
}

export class OutboundQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: OUTBOUND_STATUSES })
  @IsOptional()
  @IsIn(OUTBOUND_STATUSES)
  status?: OutboundStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  numberId?: string;
}

export class InboundQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  contactId?: string;
}

export class OutboundMessageResponse {
  @ApiProperty() id!: string;
  @ApiProperty() numberId!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) contactId!: string | null;
  @ApiProperty() recipient!: string;
  @ApiProperty() kind!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) category!: string | null;
  @ApiProperty({ enum: OUTBOUND_STATUSES }) status!: OutboundStatus;
  @ApiPropertyOptional({ type: Object, nullable: true }) content!: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: String, nullable: true }) providerMessageId!: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) errorCode!: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) errorReason!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'What the platform does about the error (retry, template, pause_number, ...)' })
  errorAction!: string | null;
  @ApiProperty() attempts!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) nextAttemptAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) acceptedAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) sentAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) deliveredAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) readAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) failedAt!: string | null;
  @ApiPropertyOptional({ type: Object, nullable: true }) pricing!: Record<string, unknown> | null;

  static from(m: OutboundMessageEntity): OutboundMessageResponse {
    return {
      id: m.id,
      numberId: m.numberId,
      contactId: m.contactId,
      recipient: m.recipient,
      kind: m.kind,
      category: m.category,
      status: m.status,
      content: m.content,
      providerMessageId: m.providerMessageId,
      errorCode: m.errorCode,
      errorReason: m.errorReason,
      errorAction: m.errorAction,
      attempts: m.attempts,
      nextAttemptAt: iso(m.nextAttemptAt),
      createdAt: m.createdAt.toISOString(),
      acceptedAt: iso(m.acceptedAt),
      sentAt: iso(m.sentAt),
      deliveredAt: iso(m.deliveredAt),
      readAt: iso(m.readAt),
      failedAt: iso(m.failedAt),
      pricing: m.pricing,
    };
  }
}

export class OutboundMessagePageResponse {
  @ApiProperty({ type: [OutboundMessageResponse] }) items!: OutboundMessageResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class InboundMessageResponse {
  @ApiProperty() id!: string;
  @ApiProperty() numberId!: string;
  @ApiProperty() contactId!: string;
  @ApiProperty() wamid!: string;
  @ApiProperty({ example: 'text' }) type!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) body!: string | null;
  @ApiProperty({ type: Object }) content!: Record<string, unknown>;
  @ApiPropertyOptional({ type: String, nullable: true }) contextMessageId!: string | null;
  @ApiProperty() sentAt!: string;
  @ApiProperty() receivedAt!: string;

  static from(m: InboundMessageEntity): InboundMessageResponse {
    return {
      id: m.id,
      numberId: m.numberId,
      contactId: m.contactId,
      wamid: m.wamid,
      type: m.type,
      body: m.body,
      content: m.content,
      contextMessageId: m.contextMessageId,
      sentAt: m.sentAt.toISOString(),
      receivedAt: m.receivedAt.toISOString(),
    };
  }
}

export class InboundMessagePageResponse {
  @ApiProperty({ type: [InboundMessageResponse] }) items!: InboundMessageResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class ContactResponse {
  @ApiProperty() id!: string;
  @ApiProperty() numberId!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) waId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Business-scoped user id, for citizens without a phone number in the payload' })
  userId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) profileName!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastInboundAt!: string | null;
  @ApiProperty({ description: 'Free-form messages are possible (the 24-hour window is open)' }) windowOpen!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) marketingOptedOutAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) heldUntil!: string | null;
  @ApiProperty() undeliverableCount!: number;

  static from(c: ContactEntity, windowOpen: boolean): ContactResponse {
    return {
      id: c.id,
      numberId: c.numberId,
      waId: c.waId,
      userId: c.userId,
      profileName: c.profileName,
      lastInboundAt: iso(c.lastInboundAt),
      windowOpen,
      marketingOptedOutAt: iso(c.marketingOptedOutAt),
      heldUntil: iso(c.heldUntil),
      undeliverableCount: c.undeliverableCount,
    };
  }
}

export class ContactPageResponse {
  @ApiProperty({ type: [ContactResponse] }) items!: ContactResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}
