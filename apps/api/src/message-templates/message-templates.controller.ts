import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TenantEntity } from '#database';
import { MessageTemplateNotFoundError, MessageTemplatesService, RECIPIENT_VARIABLES, TENANT_VARIABLES, type Actor } from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, PaginationQueryDto, type PageResponse } from '../http/pagination.dto.js';
import { CreateMessageTemplateDto, PreviewMessageTemplateDto, UpdateMessageTemplateDto } from './message-template.dto.js';
import { MessageTemplatePageResponse, MessageTemplatePreviewResponse, MessageTemplateResponse } from './message-template.response.js';

const templateId = new ParseUUIDPipe({ exceptionFactory: () => new MessageTemplateNotFoundError() });
/** Editors write the comune's messages, so they manage its templates like its admins do. */
const STAFF = ['operator', 'tenant_admin', 'editor'] as const;
const BUILT_IN: readonly string[] = [...RECIPIENT_VARIABLES, ...TENANT_VARIABLES];

@ApiTags('message templates')
@ApiBearerAuth()
@Controller('api/v1/tenants/:tenant/message-templates')
export class MessageTemplatesController {
  constructor(private readonly templates: MessageTemplatesService) {}

  @Get()
  @Roles(...STAFF)
  @ApiOperation({ summary: 'The comune’s message templates, with the linked WhatsApp template’s approval status and category' })
  @ApiOkResponse({ type: MessageTemplatePageResponse })
  async list(@CurrentTenant() tenant: TenantEntity, @Query() page: PaginationQueryDto): Promise<PageResponse<MessageTemplateResponse>> {
    return mapPage(await this.templates.list(tenant.id, page), (t) => MessageTemplateResponse.from(t, BUILT_IN));
  }

  @Post()
  @Roles(...STAFF)
  @ApiOperation({ summary: 'A message with {{variables}}, optionally linked to an approved WhatsApp template (parameters in order)' })
  @ApiCreatedResponse({ type: MessageTemplateResponse })
  async create(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Body() dto: CreateMessageTemplateDto,
  ): Promise<MessageTemplateResponse> {
    return MessageTemplateResponse.from(await this.templates.create(actor, tenant.id, dto), BUILT_IN);
  }

  @Get(':id')
  @Roles(...STAFF)
  @ApiOkResponse({ type: MessageTemplateResponse })
  async get(@CurrentTenant() tenant: TenantEntity, @Param('id', templateId) id: string): Promise<MessageTemplateResponse> {
    return MessageTemplateResponse.from(await this.templates.get(tenant.id, id), BUILT_IN);
  }

  @Patch(':id')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Change name, body or the WhatsApp template link (null unlinks)' })
  @ApiOkResponse({ type: MessageTemplateResponse })
  async update(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', templateId) id: string,
    @Body() dto: UpdateMessageTemplateDto,
  ): Promise<MessageTemplateResponse> {
    return MessageTemplateResponse.from(await this.templates.update(actor, tenant.id, id, dto), BUILT_IN);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Delete a template no unfinished campaign uses (409 otherwise)' })
  @ApiNoContentResponse()
  async delete(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', templateId) id: string): Promise<void> {
    await this.templates.delete(actor, tenant.id, id);
  }

  @Post(':id/preview')
  @HttpCode(200)
  @Roles(...STAFF)
  @ApiOperation({ summary: 'The exact text a subscriber would receive, and the approved template’s parameters (400 listing missing variables)' })
  @ApiOkResponse({ type: MessageTemplatePreviewResponse })
  async preview(
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', templateId) id: string,
    @Body() dto: PreviewMessageTemplateDto,
  ): Promise<MessageTemplatePreviewResponse> {
    const preview = await this.templates.preview(tenant.id, id, { subscriberId: dto.subscriberId, variables: dto.variables ?? {}, media: dto.media });
    return MessageTemplatePreviewResponse.from(preview);
  }
}
