import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { TenantEntity, WhatsappTemplateEntity } from '#database';
import { WhatsappTemplatesService, type Actor } from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, PaginationQueryDto, type PageResponse } from '../http/pagination.dto.js';

export class WhatsappTemplateResponse {
  @ApiProperty() id!: string;
  @ApiProperty() wabaId!: string;
  @ApiProperty({ example: 'allerta_meteo' }) name!: string;
  @ApiProperty({ example: 'it' }) language!: string;
  @ApiProperty({ example: 'utility' }) category!: string;
  @ApiProperty({ example: 'APPROVED' }) status!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) statusReason!: string | null;
  @ApiProperty({ type: [Object] }) components!: unknown[];
  @ApiPropertyOptional({ type: String, nullable: true }) syncedAt!: string | null;
  @ApiProperty() updatedAt!: string;

  static from(t: WhatsappTemplateEntity): WhatsappTemplateResponse {
    return {
      id: t.id,
      wabaId: t.wabaId,
      name: t.name,
      language: t.language,
      category: t.category,
      status: t.status,
      statusReason: t.statusReason,
      components: t.components,
      syncedAt: t.syncedAt ? t.syncedAt.toISOString() : null,
      updatedAt: t.updatedAt.toISOString(),
    };
  }
}

export class WhatsappTemplatePageResponse {
  @ApiProperty({ type: [WhatsappTemplateResponse] }) items!: WhatsappTemplateResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class TemplateSyncResponse {
  @ApiProperty() wabas!: number;
  @ApiProperty() templates!: number;
}

@ApiTags('whatsapp templates')
@ApiBearerAuth()
@Controller('api/v1/tenants/:tenant/whatsapp-templates')
export class WhatsappTemplatesController {
  constructor(private readonly templates: WhatsappTemplatesService) {}

  @Get()
  @Roles('operator', 'tenant_admin', 'editor')
  @ApiOperation({ summary: 'The comune’s WhatsApp templates with their approval status and category' })
  @ApiOkResponse({ type: WhatsappTemplatePageResponse })
  async list(@CurrentTenant() tenant: TenantEntity, @Query() page: PaginationQueryDto): Promise<PageResponse<WhatsappTemplateResponse>> {
    return mapPage(await this.templates.list(tenant.id, page), (t) => WhatsappTemplateResponse.from(t));
  }

  @Post('sync')
  @HttpCode(200)
  @Roles('operator', 'tenant_admin')
  @ApiOperation({ summary: 'Read the templates from WhatsApp for each of the comune’s WABAs' })
  @ApiOkResponse({ type: TemplateSyncResponse })
  sync(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity): Promise<TemplateSyncResponse> {
    return this.templates.sync(actor, tenant.id);
  }
}
