import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, Length, Matches, MaxLength, ValidateBy, ValidateNested } from 'class-validator';
import { AttachedMediaDto } from '../media/media.dto.js';

const VARIABLE = /^[a-z0-9_]{1,64}$/;
const VARIABLE_MESSAGE = 'each parameter must be a variable name (lowercase letters, digits, underscores), e.g. nome';

export class WhatsappTemplateLinkDto {
  @ApiProperty({ example: 'allerta_meteo', description: 'An approved template of the comune (see whatsapp-templates)' })
  @Matches(/^[a-z0-9_]{1,512}$/, { message: 'whatsappTemplate.name must be a template name (lowercase letters, digits, underscores)' })
  name!: string;

  @ApiProperty({ example: 'it' })
  @Matches(/^[a-z]{2,3}(_[A-Z]{2})?$/, { message: 'whatsappTemplate.language must look like it or en_US' })
  language!: string;

  @ApiPropertyOptional({ example: ['nome', 'livello'], description: 'The variable that fills each body parameter, in order: {{1}}, {{2}}, ...' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(60)
  @Matches(VARIABLE, { each: true, message: VARIABLE_MESSAGE })
  bodyParameters?: string[];

  @ApiPropertyOptional({ example: ['comune'], description: 'The variable of a text header’s {{1}}' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1)
  @Matches(VARIABLE, { each: true, message: VARIABLE_MESSAGE })
  headerParameters?: string[];

  @ApiPropertyOptional({
    example: ['', 'codice'],
    description: 'By button index: the variable of a URL button ending in {{1}}, blank for a button without one',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @Matches(/^([a-z0-9_]{1,64})?$/, { each: true, message: 'each button parameter must be a variable name or blank' })
  buttonParameters?: string[];
}

export class CreateMessageTemplateDto {
  @ApiProperty({ example: 'Chiusura strada' })
  @IsString()
  @Length(1, 120)
  name!: string;

  @ApiProperty({
    example: 'Gentile {{nome}}, il {{comune}} informa che {{strada}} sarà chiusa il {{data}}.',
    description: 'Variables: {{nome}}, {{cognome}}, {{frazione}} (from the subscriber), {{comune}}, and free ones filled per campaign',
  })
  @IsString()
  @Length(1, 4096)
  body!: string;

  @ApiPropertyOptional({
    type: WhatsappTemplateLinkDto,
    nullable: true,
    description: 'The WhatsApp-approved template it goes out as outside the 24-hour window (null: none)',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => WhatsappTemplateLinkDto)
  whatsappTemplate?: WhatsappTemplateLinkDto | null;
}

export class UpdateMessageTemplateDto extends PartialType(CreateMessageTemplateDto) {}

/** A JSON object of variable name → text. */
function IsVariableValues(): PropertyDecorator {
  return ValidateBy({
    name: 'isVariableValues',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length <= 100 &&
        Object.entries(value).every(([k, v]) => VARIABLE.test(k) && typeof v === 'string' && v.length <= 1024),
      defaultMessage: () => 'variables must map variable names (lowercase letters, digits, underscores) to texts of at most 1024 characters',
    },
  });
}

export class PreviewMessageTemplateDto {
  @ApiPropertyOptional({ description: 'A subscriber of the comune whose profile fills {{nome}}, {{cognome}}, {{frazione}}' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  subscriberId?: string;

  @ApiPropertyOptional({ example: { strada: 'via Roma', data: 'lunedì 3 marzo' }, description: 'The free variables' })
  @IsOptional()
  @IsObject()
  @IsVariableValues()
  variables?: Record<string, string>;

  @ApiPropertyOptional({
    type: AttachedMediaDto,
    description: 'The attachment a campaign would send: shows whether it goes as the approved template’s media header',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => AttachedMediaDto)
  media?: AttachedMediaDto;
}
