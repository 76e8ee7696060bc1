import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

export class PublicSubscriptionDto {
  @ApiPropertyOptional({ example: 'Giulia' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  firstName?: string;

  @ApiPropertyOptional({ example: 'Rossi' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  lastName?: string;

  @ApiProperty({ example: '338 4706151', description: 'The WhatsApp number: Italian or international format' })
  @IsString()
  @Length(3, 32)
  phone!: string;

  @ApiPropertyOptional({ example: ['notizie'], description: 'List slugs; none means the comune’s default lists' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(/^[a-z0-9-]{1,63}$/, { each: true })
  lists?: string[];

  @ApiPropertyOptional({ example: 'Villetta' })
  @IsOptional()
  @IsString()
  @Length(1, 80)
  frazione?: string;

  @ApiProperty({ description: 'The citizen accepts the privacy policy and to receive WhatsApp messages from the comune' })
  @IsBoolean()
  consent!: boolean;

  @ApiPropertyOptional({ description: 'Leave empty (anti-spam field hidden from people)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  website?: string;
}

export class PublicSubscriptionResponse {
  @ApiProperty({ example: 'Controlla WhatsApp: ti abbiamo inviato un messaggio per confermare l’iscrizione.' })
  message!: string;
}
