import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { MESSAGING_TIERS, NUMBER_STATUSES, type MessagingTier, type NumberStatus, type WhatsappNumberEntity } from '#database';
import { PaginationQueryDto } from '../http/pagination.dto.js';
import { IsOptionalNotNull } from '../http/validation.js';

const DIGITS = /^\d{1,32}$/;

export class AddNumberDto {
  @ApiProperty({ description: 'The provider app (Meta app or simulator) this number belongs to' })
  @IsUUID('all', { message: 'providerAppId must be a UUID' })
  providerAppId!: string;

  @ApiPropertyOptional({ example: 'Notizie dal Comune' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  label?: string;

  @ApiProperty({ example: '106540352242922', description: "Meta's phone_number_id; routes webhooks, unique in the deployment" })
  @Matches(DIGITS, { message: 'phoneNumberId must be digits only' })
  phoneNumberId!: string;

  @ApiProperty({ example: '+39 0433 123456', description: 'Any Italian or international form; stored in E.164' })
  @IsString()
  @Length(3, 40)
  displayNumber!: string;

  @ApiProperty({ example: '102290129340398' })
  @Matches(DIGITS, { message: 'wabaId must be digits only' })
  wabaId!: string;

  @ApiPropertyOptional({ description: 'Meta business portfolio id: the daily reach limit is per portfolio' })
  @IsOptional()
  @Matches(DIGITS, { message: 'businessPortfolioId must be digits only' })
  businessPortfolioId?: string;

  @ApiPropertyOptional({ enum: MESSAGING_TIERS, default: 'tier_250' })
  @IsOptional()
  @IsIn(MESSAGING_TIERS)
  messagingTier?: MessagingTier;

  @ApiProperty({ writeOnly: true, description: 'System-user access token for this number; never returned' })
  @IsString()
  @Length(16, 2048)
  accessToken!: string;

  @ApiPropertyOptional({ default: 80, minimum: 1, maximum: 1000, description: 'Messages per second cap' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  mpsCap?: number;
}

export class UpdateNumberDto {
  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  label?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Length(3, 40)
  displayNumber?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @Matches(DIGITS, { message: 'wabaId must be digits only' })
  wabaId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(DIGITS, { message: 'businessPortfolioId must be digits only' })
  businessPortfolioId?: string;

  @ApiPropertyOptional({ enum: MESSAGING_TIERS })
  @IsOptionalNotNull()
  @IsIn(MESSAGING_TIERS)
  messagingTier?: MessagingTier;

  @ApiPropertyOptional({ writeOnly: true, description: 'Replaces the access token; never returned' })
  @IsOptionalNotNull()
  @IsString()
  @Length(16, 2048)
  accessToken?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1000)
  mpsCap?: number;

  @ApiPropertyOptional({ enum: ['active', 'paused'], description: 'Pause (with a reason) or resume; use the disable action to retire' })
  @IsOptional()
  @IsIn(['active', 'paused'])
  status?: 'active' | 'paused';

  @ApiPropertyOptional({ example: 'Token scaduto: in attesa del nuovo' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  pausedReason?: string;
}

export class NumberResponse {
  @ApiProperty() id!: string;
  @ApiProperty() providerAppId!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) label!: string | null;
  @ApiProperty() phoneNumberId!: string;
  @ApiProperty({ example: '+390433123456' }) displayNumber!: string;
  @ApiProperty() wabaId!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) businessPortfolioId!: string | null;
  @ApiProperty({ enum: MESSAGING_TIERS }) messagingTier!: MessagingTier;
  @ApiProperty({ description: 'Last four characters of the access token' }) accessTokenLast4!: string;
  @ApiProperty() mpsCap!: number;
  @ApiProperty({ enum: NUMBER_STATUSES }) status!: NumberStatus;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Why sending is paused (an operator’s note or WhatsApp’s error)' })
  pausedReason!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) pausedAt!: string | null;
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'WhatsApp error code that paused the number (190: expired token, 131031/368: account restricted, ...)',
  })
  pausedErrorCode!: number | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'GREEN' }) qualityRating!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'THROUGHPUT_UPGRADE' }) lastQualityEvent!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static from(n: WhatsappNumberEntity): NumberResponse {
    return {
      id: n.id,
      providerAppId: n.providerAppId,
      label: n.label,
      phoneNumberId: n.phoneNumberId,
      displayNumber: n.displayNumber,
      wabaId: n.wabaId,
      businessPortfolioId: n.businessPortfolioId,
      messagingTier: n.messagingTier,
      accessTokenLast4: n.accessTokenLast4,
      mpsCap: n.mpsCap,
      status: n.status,
      pausedReason: n.pausedReason,
      pausedAt: n.pausedAt ? n.pausedAt.toISOString() : null,
      pausedErrorCode: n.pausedErrorCode,
      qualityRating: n.qualityRating,
      lastQualityEvent: n.lastQualityEvent,
      createdAt: n.createdAt.toISOString(),
      updatedAt: n.updatedAt.toISOString(),
    };
  }
}

export class NumberPageResponse {
  @ApiProperty({ type: [NumberResponse] }) items!: NumberResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class NumberStatusQueryDto extends PaginationQueryDto {
  @ApiProperty({ enum: NUMBER_STATUSES, description: 'e.g. paused: every number whose sending is paused, and why' })
  @IsIn(NUMBER_STATUSES)
  status!: NumberStatus;
}

export class OperatorNumberResponse extends NumberResponse {
  @ApiProperty({ example: 'amaro' }) tenantSlug!: string;
}

export class OperatorNumberPageResponse {
  @ApiProperty({ type: [OperatorNumberResponse] }) items!: OperatorNumberResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}
