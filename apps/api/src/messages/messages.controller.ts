import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { asContactId, asNumberId, asOutboundMessageId, normalizePhone, NotFoundError, ValidationError, type InboundMessageId } from '#common';
import type { TenantEntity } from '#database';
import { isServiceWindowOpen, MediaService, MessagesService, OutboundService } from '#domain';
import type { MessageContent } from '#whatsapp';
import { CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, PaginationQueryDto, type PageResponse } from '../http/pagination.dto.js';
import {
  ContactPageResponse,
  ContactResponse,
  InboundMessagePageResponse,
  InboundMessageResponse,
  InboundQueryDto,
  OutboundMessagePageResponse,
  OutboundMessageResponse,
  OutboundQueryDto,
  SendMessageDto,
} from './message.dto.js';

const notFound = (what: string): ParseUUIDPipe => new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError(what) });

@ApiTags('messages')
@ApiBearerAuth()
@Controller('api/v1/tenants/:tenant')
export class MessagesController {
  constructor(
    private readonly outbound: OutboundService,
    private readonly messages: MessagesService,
    private readonly media: MediaService,
  ) {}

  @Post('messages')
  @Roles('operator', 'tenant_admin', 'editor')
  @ApiOperation({ summary: 'Send one WhatsApp message to a citizen: free text inside the 24-hour window, an approved template at any time' })
  @ApiCreatedResponse({ type: OutboundMessageResponse })
  async send(@CurrentTenant() tenant: TenantEntity, @Body() dto: SendMessageDto): Promise<OutboundMessageResponse> {
    if ((dto.text === undefined) === (dto.template === undefined)) {
      throw new ValidationError('give exactly one of text and template', { fields: ['text', 'template'] });
    }
    const phone = normalizePhone(dto.to);
    if (!phone.ok) throw new ValidationError(`to: ${phone.reason}`, { field: 'to' }, 'INVALID_PHONE_NUMBER');
    const content: MessageContent = dto.template
      ? { type: 'template', name: dto.template.name, languageCode: dto.template.languageCode ?? 'it', body: dto.template.body }
      : { type: 'text', body: dto.text!, previewUrl: true };
    const row = await this.outbound.send(tenant.id, {
      numberId: asNumberId(dto.numberId),
      to: { kind: 'phone', e164: phone.e164 },
      content,
      kind: 'editor_reply',
      replyToWamid: dto.replyToWamid ?? null,
    });
    return OutboundMessageResponse.from(row);
  }

  @Get('messages')
  @Roles('operator', 'tenant_admin', 'editor')
  @ApiOperation({ summary: 'Messages the comune sent, newest first, with their delivery status' })
  @ApiOkResponse({ type: OutboundMessagePageResponse })
  async listOutbound(@CurrentTenant() tenant: TenantEntity, @Query() q: OutboundQueryDto): Promise<PageResponse<OutboundMessageResponse>> {
    const page = await this.messages.listOutbound(
      tenant.id,
      { limit: q.limit, offset: q.offset },
      { status: q.status, numberId: q.numberId ? asNumberId(q.numberId) : undefined },
    );
    return mapPage(page, (m) => OutboundMessageResponse.from(m));
  }

  @Get('messages/:id')
  @Roles('operator', 'tenant_admin', 'editor')
  @ApiOkResponse({ type: OutboundMessageResponse })
  async getOutbound(@CurrentTenant() tenant: TenantEntity, @Param('id', notFound('Message')) id: string): Promise<OutboundMessageResponse> {
    return OutboundMessageResponse.from(await this.messages.getOutbound(tenant.id, asOutboundMessageId(id)));
  }

  @Get('inbound-messages')
  @Roles('operator', 'tenant_admin', 'editor')
  @ApiOperation({ summary: 'Messages citizens sent to the comune, newest first' })
  @ApiOkResponse({ type: InboundMessagePageResponse })
  async listInbound(@CurrentTenant() tenant: TenantEntity, @Query() q: InboundQueryDto): Promise<PageResponse<InboundMessageResponse>> {
    const page = await this.messages.listInbound(
      tenant.id,
      { limit: q.limit, offset: q.offset },
      { contactId: q.contactId ? asContactId(q.contactId) : undefined },
    );
    return mapPage(page, (m) => InboundMessageResponse.from(m));
  }

  @Get('inbound-messages/:id/media')
  @Roles('operator', 'tenant_admin', 'editor')
  @ApiOperation({ summary: 'The photo, voice note or document a citizen sent, as stored' })
  async mediaOf(@CurrentTenant() tenant: TenantEntity, @Param('id', notFound('Media')) id: string, @Res() reply: FastifyReply): Promise<void> {
    const file = await this.messages.mediaOf(tenant.id, id as InboundMessageId);
    const stored = file ? await this.media.read(tenant.id, file.id) : null;
    if (!file || !stored) throw new NotFoundError('Media');
    await reply
      .header('content-type', stored.mimeType ?? 'application/octet-stream')
      .header('x-content-sha256', file.sha256 ?? '')
      .header('cache-control', 'private, no-store')
      .send(stored.bytes);
  }

  @Get('contacts')
  @Roles('operator', 'tenant_admin', 'editor')
  @ApiOperation({ summary: 'Citizens who wrote to, or were written to by, the comune’s numbers' })
  @ApiOkResponse({ type: ContactPageResponse })
  async contacts(@CurrentTenant() tenant: TenantEntity, @Query() q: PaginationQueryDto): Promise<PageResponse<ContactResponse>> {
    const now = new Date();
    return mapPage(await this.messages.listContacts(tenant.id, q), (c) => ContactResponse.from(c, isServiceWindowOpen(c.lastInboundAt, now)));
  }
}
