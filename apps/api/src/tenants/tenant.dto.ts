import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '@nestjs/swagger';
import { IsEmail, IsIn, IsInt, IsOptional, IsString, IsUrl, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { TENANT_MODES, TENANT_STATUSES, type TenantEntity, type TenantMode, type TenantStatus } from '#database';
import { IsOptionalNotNull } from '../http/validation.js';

export class CreateTenantDto {
  @ApiProperty({ example: 'cavazzo-carnico', description: 'Lower-case letters, digits and dashes; used in URLs' })
  @Matches(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: 'slug must be lower-case letters and digits separated by single dashes' })
  @MaxLength(63)
  slug!: string;

  @ApiProperty({ example: 'Comune di Cavazzo Carnico' })
  @IsString()
  @Length(1, 200)
  displayName!: string;

  @ApiPropertyOptional({ example: '030022', description: 'ISTAT code of the comune (six digits)' })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'istatCode must be six digits' })
  istatCode?: string;

  @ApiPropertyOptional({ example: 'Europe/Rome' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(64)
  timezone?: string;

  @ApiPropertyOptional({ enum: TENANT_STATUSES, default: 'onboarding' })
  @IsOptionalNotNull()
  @IsIn(TENANT_STATUSES)
  status?: TenantStatus;

  @ApiPropertyOptional({ enum: TENANT_MODES, default: 'one_way' })
  @IsOptionalNotNull()
  @IsIn(TENANT_MODES)
  mode?: TenantMode;

  @ApiPropertyOptional({ example: 'https://www.comune.example.it/privacy-whatsapp' })
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true })
  @MaxLength(2000)
  privacyPolicyUrl?: string;

  @ApiPropertyOptional({ example: '2026-01' })
  @IsOptional()
  @IsString()
  @Length(1, 50)
  privacyPolicyVersion?: string;

  @ApiPropertyOptional({ example: 'protocollo@comune.example.it' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  officeEmail?: string;

  @ApiPropertyOptional({ example: '+39 0433 000000' })
  @IsOptional()
  @IsString()
  @Length(3, 40)
  officePhone?: string;

  @ApiPropertyOptional({ example: 'Piazza del Municipio 1, 33020 Cavazzo Carnico (UD)' })
  @IsOptional()
  @IsString()
  @Length(1, 300)
  officeAddress?: string;

  @ApiPropertyOptional({ example: 'https://www.comune.example.it' })
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true })
  @MaxLength(2000)
  websiteUrl?: string;

  @ApiPropertyOptional({
    example: 180,
    minimum: 7,
    maximum: 3650,
    description: 'Days message texts and media are kept; older ones are purged (counts and consent records stay). Default 180.',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(7)
  @Max(3650)
  messageRetentionDays?: number;
}

// As for lists: null is refused where the comune must have a value (displayName and the IsOptionalNotNull
// fields), and clears the optional contacts and links.
export class UpdateTenantDto extends PartialType(OmitType(CreateTenantDto, ['slug'] as const), { skipNullProperties: false }) {}

export class TenantResponse {
  @ApiProperty() id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() displayName!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) istatCode!: string | null;
  @ApiProperty() timezone!: string;
  @ApiProperty({ enum: TENANT_STATUSES }) status!: TenantStatus;
  @ApiProperty({ enum: TENANT_MODES }) mode!: TenantMode;
  @ApiPropertyOptional({ type: String, nullable: true }) privacyPolicyUrl!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) privacyPolicyVersion!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) officeEmail!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) officePhone!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) officeAddress!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) websiteUrl!: string | null;
  @ApiProperty() messageRetentionDays!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static from(t: TenantEntity): TenantResponse {
    return {
      id: t.id,
      slug: t.slug,
      displayName: t.displayName,
      istatCode: t.istatCode,
      timezone: t.timezone,
      status: t.status,
      mode: t.mode,
      privacyPolicyUrl: t.privacyPolicyUrl,
      privacyPolicyVersion: t.privacyPolicyVersion,
      officeEmail: t.officeEmail,
      officePhone: t.officePhone,
      officeAddress: t.officeAddress,
      websiteUrl: t.websiteUrl,
      messageRetentionDays: t.messageRetentionDays,
      createdAt: t.createdAt.toISOString(),
      updatedAt: t.updatedAt.toISOString(),
    };
  }
}

export class TenantPageResponse {
  @ApiProperty({ type: [TenantResponse] }) items!: TenantResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}
