import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsISO8601, IsOptional, IsString, IsUrl, IsUUID, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsOptionalNotNull } from '../http/validation.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class PublishPolicyVersionDto {
  @ApiProperty({ example: '2027-01', description: 'The comune’s label for this text; unique per comune' })
  @IsString()
  @Length(1, 50)
  version!: string;

  @ApiProperty({ example: 'https://www.comune.example.it/privacy-whatsapp-2027', description: 'Where citizens read this version' })
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true })
  @MaxLength(2000)
  url!: string;

  @ApiPropertyOptional({
    example: '2027-01-15',
    description: 'Date of publication in the comune’s calendar (today when left out); not in the future',
  })
  @IsOptional()
  @Matches(DATE, { message: 'publishedOn must be a date such as 2027-01-15' })
  @IsISO8601({ strict: true }, { message: 'publishedOn must be a valid date' })
  publishedOn?: string;

  @ApiPropertyOptional({
    example: '2027-02-28',
    description:
      'Optional: after this day subscribers who have not accepted the version get only emergencies until they do. At least 14 days from today.',
  })
  @IsOptional()
  @Matches(DATE, { message: 'acceptanceDeadline must be a date such as 2027-02-28' })
  @IsISO8601({ strict: true }, { message: 'acceptanceDeadline must be a valid date' })
  acceptanceDeadline?: string;
}

export class UpdatePolicyVersionDto {
  @ApiPropertyOptional({ description: 'Correct the link of this version (the same text at a new address)' })
  @IsOptionalNotNull()
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true })
  @MaxLength(2000)
  url?: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: '2027-02-28', description: 'Current version only; null removes the deadline' })
  @ValidateIf((_, v) => v !== undefined && v !== null)
  @Matches(DATE, { message: 'acceptanceDeadline must be a date such as 2027-02-28' })
  @IsISO8601({ strict: true }, { message: 'acceptanceDeadline must be a valid date' })
  acceptanceDeadline?: string | null;
}

export class AcceptanceRequestDto {
  @ApiPropertyOptional({
    description:
      'A message template of the comune linked to an approved utility WhatsApp template, for subscribers outside the 24-hour window. Its variables may be {{versione}}, {{data}}, {{informativa}}, {{scadenza}}, {{comune}}. Without it the built-in Italian text goes, inside the window only.',
  })
  @IsOptional()
  @IsUUID('all', { message: 'messageTemplateId must be a UUID' })
  messageTemplateId?: string;

  @ApiPropertyOptional({ default: false, description: 'Ask again those an earlier request for this version reached who have not accepted yet' })
  @IsOptional()
  @IsBoolean()
  reminder?: boolean;

  @ApiPropertyOptional({ description: 'The number to send from (the comune’s active number when left out)' })
  @IsOptional()
  @IsUUID('all', { message: 'numberId must be a UUID' })
  numberId?: string;
}
