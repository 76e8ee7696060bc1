import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { SUBSCRIBER_IMPORT_STATUSES, type SubscriberImportEntity, type SubscriberImportStatus } from '#database';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** `listIds=a,b` or `listIds=a&listIds=b`: both read as one list. */
const commaSeparated = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string' && !Array.isArray(value)) return value;
  const parts: unknown[] = [value].flat();
  return parts.flatMap((v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()) : [v])).filter((v) => v !== '');
};

export class ImportSubscribersQueryDto {
  @ApiPropertyOptional({ type: String, description: 'Comma-separated ids of the lists every imported subscriber joins (default: the default lists)' })
  @IsOptional()
  @Transform(commaSeparated)
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'listIds must be comma-separated list ids' })
  listIds?: string[];

  @ApiPropertyOptional({
    minLength: 10,
    maxLength: 500,
    example: 'Iscritti alla lista broadcast del Comune con consenso raccolto su modulo',
    description: 'The admin declares that every row consented; without it each row needs a consenso column value',
  })
  @IsOptional()
  @IsString()
  @Length(10, 500)
  consentDeclaration?: string;
}

export class ImportRowErrorResponse {
  @ApiProperty({ description: 'The line in the file (the header is line 1)' }) row!: number;
  @ApiProperty({ example: 'no consent evidence: fill the consenso column, or declare for the whole file that every row consented' })
  reason!: string;
}

export class SubscriberImportSummaryResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: SUBSCRIBER_IMPORT_STATUSES }) status!: SubscriberImportStatus;
  @ApiProperty() totalRows!: number;
  @ApiProperty({ description: 'Rows handled so far: progress while the import runs' }) processedRows!: number;
  @ApiProperty() accepted!: number;
  @ApiProperty() rejected!: number;
  @ApiProperty({ description: 'Repeated phones within the file, and phones the comune already had (left unchanged)' }) duplicates!: number;
  @ApiProperty({ type: [String] }) listIds!: string[];
  @ApiPropertyOptional({ type: String, nullable: true }) consentDeclaration!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) failureReason!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) createdBy!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) finishedAt!: string | null;

  static from(i: SubscriberImportEntity): SubscriberImportSummaryResponse {
    return {
      id: i.id,
      status: i.status,
      totalRows: i.totalRows,
      processedRows: i.processedRows,
      accepted: i.accepted,
      rejected: i.rejected,
      duplicates: i.duplicates,
      listIds: i.listIds,
      consentDeclaration: i.consentDeclaration,
      failureReason: i.failureReason,
      createdBy: i.createdBy,
      createdAt: i.createdAt.toISOString(),
      finishedAt: iso(i.finishedAt),
    };
  }
}

export class SubscriberImportResponse extends SubscriberImportSummaryResponse {
  @ApiProperty({ type: [ImportRowErrorResponse], description: 'Rejected rows with the reason (the first ones; `rejected` counts them all)' })
  errors!: ImportRowErrorResponse[];

  static fromImport(i: SubscriberImportEntity, maxErrors: number): SubscriberImportResponse {
    return { ...SubscriberImportSummaryResponse.from(i), errors: i.errors.slice(0, maxErrors).map((e) => ({ row: e.row, reason: e.reason })) };
  }
}

export class SubscriberImportPageResponse {
  @ApiProperty({ type: [SubscriberImportSummaryResponse] }) items!: SubscriberImportSummaryResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}
