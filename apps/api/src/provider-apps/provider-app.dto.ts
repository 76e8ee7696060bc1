import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { PROVIDER_KINDS, type ProviderAppEntity, type ProviderKind } from '#database';
import { IsOptionalNotNull } from '../http/validation.js';

export class CreateProviderAppDto {
  @ApiProperty({ example: 'Consorzio - app Meta' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: PROVIDER_KINDS })
  @IsIn(PROVIDER_KINDS)
  kind!: ProviderKind;

  @ApiProperty({ example: '1234567890', description: "Meta's app id" })
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'appId must be 1-64 letters, digits, dashes or underscores' })
  appId!: string;

  @ApiProperty({ writeOnly: true, description: 'Signs webhooks (X-Hub-Signature-256); never returned' })
  @IsString()
  @Length(16, 256)
  appSecret!: string;

  @ApiProperty({ writeOnly: true, description: 'Answers the webhook verification handshake; never returned' })
  @IsString()
  @Length(16, 256)
  verifyToken!: string;
}

export class UpdateProviderAppDto {
  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ writeOnly: true, description: 'Starts a rotation: the new secret signs, the current one stays accepted' })
  @IsOptionalNotNull()
  @IsString()
  @Length(16, 256)
  appSecret?: string;

  @ApiPropertyOptional({ description: 'Ends a rotation: the previous secret is no longer accepted' })
  @IsOptional()
  @IsBoolean()
  retirePreviousSecret?: boolean;

  @ApiPropertyOptional({ writeOnly: true })
  @IsOptionalNotNull()
  @IsString()
  @Length(16, 256)
  verifyToken?: string;
}

export class ProviderAppResponse {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: PROVIDER_KINDS }) kind!: ProviderKind;
  @ApiProperty() appId!: string;
  @ApiProperty({ description: 'Last four characters of each accepted app secret, newest first', type: [String] })
  appSecretsLast4!: string[];
  @ApiProperty({ description: 'Last four characters of the verify token' }) verifyTokenLast4!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static from(a: ProviderAppEntity): ProviderAppResponse {
    return {
      id: a.id,
      name: a.name,
      kind: a.kind,
      appId: a.appId,
      appSecretsLast4: [a.appSecretLast4, ...(a.previousAppSecretLast4 !== null ? [a.previousAppSecretLast4] : [])],
      verifyTokenLast4: a.verifyTokenLast4,
      createdAt: a.createdAt.toISOString(),
      updatedAt: a.updatedAt.toISOString(),
    };
  }
}

export class ProviderAppPageResponse {
  @ApiProperty({ type: [ProviderAppResponse] }) items!: ProviderAppResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}
