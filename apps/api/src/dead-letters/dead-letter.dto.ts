import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import type { WebhookDeadLetterEntity } from '#database';
import { PaginationQueryDto } from '../http/pagination.dto.js';

export class DeadLetterQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'true: only unresolved; false: only resolved; absent: all' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'open must be true or false' })
  open?: boolean;
}

export class DeadLetterResponse {
  @ApiProperty() id!: string;
  @ApiProperty() webhookEventId!: string;
  @ApiProperty() providerAppId!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) phoneNumberId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) wabaId!: string | null;
  @ApiProperty({ example: 'messages' }) field!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ description: 'Message types and counts in the change; its content stays in the database' })
  summary!: Record<string, number>;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) resolvedAt!: string | null;
  @ApiPropertyOptional({ enum: ['replayed', 'discarded'], nullable: true }) resolution!: string | null;

  static from(d: WebhookDeadLetterEntity): DeadLetterResponse {
    return {
      id: d.id,
      webhookEventId: d.webhookEventId,
      providerAppId: d.providerAppId,
      phoneNumberId: d.phoneNumberId,
      wabaId: d.wabaId,
      field: d.field,
      reason: d.reason,
      summary: summarise(d.payload),
      createdAt: d.createdAt.toISOString(),
      resolvedAt: d.resolvedAt ? d.resolvedAt.toISOString() : null,
      resolution: d.resolution,
    };
  }
}

/** Operators see what kind of traffic reached an unknown number, not citizens' numbers or texts. */
function summarise(payload: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ['messages', 'statuses', 'errors', 'contacts', 'user_preferences']) {
    const v = payload[key];
    if (Array.isArray(v)) out[key] = v.length;
  }
  return out;
}

export class DeadLetterPageResponse {
  @ApiProperty({ type: [DeadLetterResponse] }) items!: DeadLetterResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}
