import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import type { UserEntity } from '#database';
import type { TenantRole } from '#domain';
import { IsOptionalNotNull } from '../http/validation.js';

const TENANT_ROLES: TenantRole[] = ['tenant_admin', 'editor'];

export class CreateUserDto {
  @ApiProperty({ example: 'ufficio.stampa@comune.example.it' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiPropertyOptional({ example: 'Maria Bianchi' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  displayName?: string;

  @ApiProperty({ writeOnly: true, minLength: 12 })
  @IsString()
  @Length(12, 256, { message: 'password must be between 12 and 256 characters long' })
  password!: string;

  @ApiProperty({ enum: TENANT_ROLES })
  @IsIn(TENANT_ROLES)
  role!: TenantRole;
}

export class UpdateUserDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  displayName?: string;

  @ApiPropertyOptional({ enum: TENANT_ROLES })
  @IsOptionalNotNull()
  @IsIn(TENANT_ROLES)
  role?: TenantRole;

  @ApiPropertyOptional({ description: 'A disabled user cannot sign in; their sessions are revoked' })
  @IsOptionalNotNull()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ writeOnly: true, minLength: 12 })
  @IsOptionalNotNull()
  @IsString()
  @Length(12, 256, { message: 'password must be between 12 and 256 characters long' })
  password?: string;
}

export class UserResponse {
  @ApiProperty() id!: string;
  @ApiProperty() email!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) displayName!: string | null;
  @ApiProperty({ enum: TENANT_ROLES }) role!: string;
  @ApiProperty() disabled!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) lastLoginAt!: string | null;
  @ApiProperty() createdAt!: string;

  static from(u: UserEntity): UserResponse {
    return {
      id: u.id,
      email: u.email,
      displayName: u.displayName,
      role: u.role,
      disabled: u.disabled,
      lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
      createdAt: u.createdAt.toISOString(),
    };
  }
}

export class UserPageResponse {
  @ApiProperty({ type: [UserResponse] }) items!: UserResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}
