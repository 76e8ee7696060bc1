import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { MessageTemplatePreview, PreviewMedia, ResolvedMessageTemplate } from '#domain';

export class LinkedWhatsappTemplateResponse {
  @ApiProperty({ example: 'allerta_meteo' }) name!: string;
  @ApiProperty({ example: 'it' }) language!: string;
  @ApiProperty({ example: 'APPROVED', description: 'As Meta last reported it; MISSING when the comune’s synced templates no longer include it' })
  status!: string;
  @ApiProperty({ enum: ['utility', 'marketing', 'authentication'], description: 'The category the message is paid and capped as' })
  category!: string;
  @ApiProperty({ example: ['nome', 'livello'] }) bodyParameters!: string[];
  @ApiProperty({ example: [] }) headerParameters!: string[];
  @ApiProperty({ example: [] }) buttonParameters!: string[];
}

export class MessageTemplateResponse {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() body!: string;
  @ApiProperty({ example: ['nome', 'comune', 'strada'], description: 'The body’s variables, in order of first appearance' })
  variables!: string[];
  @ApiProperty({ example: ['strada'], description: 'The variables a campaign must fill (not taken from the subscriber or the comune)' })
  freeVariables!: string[];
  @ApiPropertyOptional({ type: LinkedWhatsappTemplateResponse, nullable: true }) whatsappTemplate!: LinkedWhatsappTemplateResponse | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static from({ template, approved, variables }: ResolvedMessageTemplate, builtIn: readonly string[]): MessageTemplateResponse {
    return {
      id: template.id,
      name: template.name,
      body: template.body,
      variables,
      freeVariables: variables.filter((v) => !builtIn.includes(v)),
      whatsappTemplate: approved
        ? {
            name: approved.name,
            language: approved.language,
            status: approved.status,
            category: approved.category,
            bodyParameters: [...approved.bodyParameters],
            headerParameters: [...approved.headerParameters],
            buttonParameters: [...approved.buttonParameters],
          }
        : null,
      createdAt: template.createdAt.toISOString(),
      updatedAt: template.updatedAt.toISOString(),
    };
  }
}

export class MessageTemplatePageResponse {
  @ApiProperty({ type: [MessageTemplateResponse] }) items!: MessageTemplateResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class PreviewParametersResponse {
  @ApiProperty({ example: ['Mario', 'ARANCIONE'] }) body!: string[];
  @ApiProperty({ example: [] }) header!: string[];
}

export class PreviewMediaResponse {
  @ApiProperty({ enum: ['image', 'document'] }) kind!: string;
  @ApiProperty({ type: String, nullable: true }) link!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'The media library file' }) mediaId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Documents: the name the citizen sees' }) filename!: string | null;
  @ApiProperty({ type: String, nullable: true }) mimeType!: string | null;
  @ApiProperty({ type: Number, nullable: true }) sizeBytes!: number | null;

  static from(m: PreviewMedia): PreviewMediaResponse {
    return Object.assign(new PreviewMediaResponse(), {
      kind: m.kind,
      link: m.link,
      mediaId: m.mediaId,
      filename: m.filename,
      mimeType: m.mimeType,
      sizeBytes: m.sizeBytes,
    });
  }
}

export class PreviewWhatsappTemplateResponse {
  @ApiProperty() name!: string;
  @ApiProperty() language!: string;
  @ApiProperty({ enum: ['utility', 'marketing', 'authentication'] }) category!: string;
  @ApiProperty() status!: string;
  @ApiProperty({ type: PreviewParametersResponse }) parameters!: PreviewParametersResponse;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'The approved body with these parameters' }) text!: string | null;
  @ApiPropertyOptional({
    type: PreviewMediaResponse,
    nullable: true,
    description: 'The attachment when it goes as the approved template’s media header (null: only with the text inside the window)',
  })
  headerMedia!: PreviewMediaResponse | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Why the attachment does not fit the approved template’s header' })
  headerProblem!: string | null;
}

export class PreviewRecipientResponse {
  @ApiPropertyOptional({ type: String, nullable: true }) nome!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) cognome!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) frazione!: string | null;
}

export class MessageTemplatePreviewResponse {
  @ApiProperty({ description: 'The exact text the subscriber receives inside the 24-hour window' }) text!: string;
  @ApiPropertyOptional({ type: PreviewMediaResponse, nullable: true, description: 'The attachment; inside the window the text is its caption' })
  media!: PreviewMediaResponse | null;
  @ApiPropertyOptional({ type: PreviewWhatsappTemplateResponse, nullable: true, description: 'What goes outside the window' })
  whatsappTemplate!: PreviewWhatsappTemplateResponse | null;
  @ApiPropertyOptional({ type: PreviewRecipientResponse, nullable: true }) recipient!: PreviewRecipientResponse | null;

  static from(p: MessageTemplatePreview): MessageTemplatePreviewResponse {
    return {
      text: p.text,
      media: p.media ? PreviewMediaResponse.from(p.media) : null,
      whatsappTemplate: p.whatsappTemplate
        ? {
            name: p.whatsappTemplate.name,
            language: p.whatsappTemplate.language,
            category: p.whatsappTemplate.category,
            status: p.whatsappTemplate.status,
            parameters: { body: [...p.whatsappTemplate.parameters.body], header: [...p.whatsappTemplate.parameters.header] },
            text: p.whatsappTemplate.text,
            headerMedia: p.whatsappTemplate.headerMedia ? PreviewMediaResponse.from(p.whatsappTemplate.headerMedia) : null,
            headerProblem: p.whatsappTemplate.headerProblem,
          }
        : null,
      recipient: p.recipient ? { nome: p.recipient.nome, cognome: p.recipient.cognome, frazione: p.recipient.frazione } : null,
    };
  }
}
