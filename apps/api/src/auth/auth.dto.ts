import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import type { Profile, TokenPair } from '#domain';

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

  static from({ user, tenantSlug }: Profile): SessionUserResponse {
    return { id: user.id, email: user.email, displayName: user.displayName, role: user.role, tenant: tenantSlug };
  }
}

export class TokenResponse {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ example: 'Bearer' }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the access token expires' }) expiresIn!: number;
  @ApiProperty({ description: 'Single use: every refresh returns a new one' }) refreshToken!: string;
  @ApiProperty() refreshTokenExpiresAt!: string;
  @ApiProperty({ type: SessionUserResponse }) user!: SessionUserResponse;

  static from(pair: TokenPair): TokenResponse {
    return {
      accessToken: pair.accessToken,
      tokenType: 'Bearer',
      expiresIn: pair.accessTokenExpiresIn,
      refreshToken: pair.refreshToken,
      refreshTokenExpiresAt: pair.refreshTokenExpiresAt.toISOString(),
      user: SessionUserResponse.from(pair),
    };
  }
}
