import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import type { TokenPair } from '#domain';

export class LoginDto {
  @ApiProperty({ example: 'editor@amaro.example' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @MinLength(16)
  @MaxLength(200)
  refreshToken!: string;
}

export class SessionUserResponse {
  @ApiProperty() id!: string;
  @ApiProperty() email!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) displayName!: string | null;
  @ApiProperty({ enum: ['operator', 'tenant_admin', 'editor'] }) role!: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Slug of the comune; null for operators' })
  tenant!: string | null;
}

export class TokenResponse {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ example: 'Bearer' }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the access token expires' }) expiresIn!: number;
  @ApiProperty({ description: 'Single use: every refresh returns a new one' }) refreshToken!: string;
  @ApiProperty() refreshTokenExpiresAt!: string;
  @ApiProperty({ type: SessionUserResponse }) user!: SessionUserResponse;

  static from(pair: TokenPair, tenantSlug: string | null): TokenResponse {
    return {
      accessToken: pair.accessToken,
      tokenType: 'Bearer',
      expiresIn: pair.accessTokenExpiresIn,
      refreshToken: pair.refreshToken,
      refreshTokenExpiresAt: pair.refreshTokenExpiresAt.toISOString(),
      user: {
        id: pair.user.id,
        email: pair.user.email,
        displayName: pair.user.displayName,
        role: pair.user.role,
        tenant: tenantSlug,
      },
    };
  }
}
