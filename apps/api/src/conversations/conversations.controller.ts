import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { asContactId, asUserId } from '#common';
import { asConversationId, type TenantEntity } from '#database';
import { AppointmentsService, ConversationNotFoundError, ConversationsService, type Actor } from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, PaginationQueryDto, type PageResponse } from '../http/pagination.dto.js';
import { OutboundMessageResponse } from '../messages/message.dto.js';
import {
  AppointmentResponse,
  CloseConversationDto,
  ConversationDetailResponse,
  ConversationPageResponse,
  ConversationQueryDto,
  ConversationResponse,
  CreateAppointmentDto,
  ReplyDto,
  ReplyOptionsResponse,
  ThreadMessageResponse,
  ThreadPageResponse,
  UpdateConversationDto,
} from './conversation.dto.js';

const conversationId = new ParseUUIDPipe({ exceptionFactory: () => new ConversationNotFoundError() });
const STAFF = ['operator', 'tenant_admin', 'editor'] as const;

/** The comune's inbox: citizens' conversations, their threads, and the editors' replies. */
@ApiTags('inbox')
@ApiBearerAuth()
@Controller('api/v1/tenants/:tenant/conversations')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly appointments: AppointmentsService,
  ) {}

  @Get()
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Conversations, urgent first, then the most recent' })
  @ApiOkResponse({ type: ConversationPageResponse })
  async list(@CurrentTenant() tenant: TenantEntity, @Query() q: ConversationQueryDto): Promise<PageResponse<ConversationResponse>> {
    const page = await this.conversations.list(
      tenant.id,
      {
        status: q.status,
        category: q.category,
        assigneeId: q.assigneeId ? asUserId(q.assigneeId) : undefined,
        urgent: q.urgent,
        contactId: q.contactId ? asContactId(q.contactId) : undefined,
      },
      { limit: q.limit, offset: q.offset },
    );
    const contacts = await this.conversations.contactsOf(tenant.id, page.items);
    return mapPage(page, (c) => ConversationResponse.from(c, contacts.get(c.contactId)));
  }

  @Get(':id')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'One conversation, with what an editor can send now (free text or only a template)' })
  @ApiOkResponse({ type: ConversationDetailResponse })
  async get(@CurrentTenant() tenant: TenantEntity, @Param('id', conversationId) id: string): Promise<ConversationDetailResponse> {
    const view = await this.conversations.get(tenant.id, asConversationId(id));
    const options = await this.conversations.replyOptions(tenant.id, asConversationId(id));
    return { ...ConversationResponse.from(view.conversation, view.contact), replyOptions: ReplyOptionsResponse.from(options) };
  }

  @Patch(':id')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Status, category, assignee (an editor of the comune), urgency' })
  @ApiOkResponse({ type: ConversationResponse })
  async update(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', conversationId) id: string,
    @Body() dto: UpdateConversationDto,
  ): Promise<ConversationResponse> {
    const updated = await this.conversations.update(actor, tenant.id, asConversationId(id), dto);
    return ConversationResponse.from(updated, (await this.conversations.get(tenant.id, updated.id)).contact);
  }

  @Post(':id/close')
  @HttpCode(200)
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Close, optionally sending a closing message first (free text: needs the citizen’s window open)' })
  @ApiOkResponse({ type: ConversationResponse })
  async close(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', conversationId) id: string,
    @Body() dto: CloseConversationDto,
  ): Promise<ConversationResponse> {
    const closed = await this.conversations.close(actor, tenant.id, asConversationId(id), dto.closingMessage ?? null);
    return ConversationResponse.from(closed, null);
  }

  @Post(':id/read')
  @HttpCode(200)
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Mark the conversation read (unread count back to 0)' })
  @ApiOkResponse({ type: ConversationResponse })
  async read(@CurrentTenant() tenant: TenantEntity, @Param('id', conversationId) id: string): Promise<ConversationResponse> {
    return ConversationResponse.from(await this.conversations.markRead(tenant.id, asConversationId(id)), null);
  }

  @Get(':id/messages')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'The thread, oldest first: the citizen’s messages (text, media, locations, contacts, taps) and the comune’s' })
  @ApiOkResponse({ type: ThreadPageResponse })
  async thread(
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', conversationId) id: string,
    @Query() q: PaginationQueryDto,
  ): Promise<PageResponse<ThreadMessageResponse>> {
    const page = await this.conversations.thread(tenant.id, asConversationId(id), { limit: q.limit, offset: q.offset });
    return { items: ThreadMessageResponse.fromRows(page.items, tenant.slug), total: page.total, limit: page.limit, offset: page.offset };
  }

  @Get(':id/reply-options')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Whether free text can go now (24-hour window) and the approved templates that can always go' })
  @ApiOkResponse({ type: ReplyOptionsResponse })
  async replyOptions(@CurrentTenant() tenant: TenantEntity, @Param('id', conversationId) id: string): Promise<ReplyOptionsResponse> {
    return ReplyOptionsResponse.from(await this.conversations.replyOptions(tenant.id, asConversationId(id)));
  }

  @Post(':id/messages')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Answer the citizen: text or a canned reply inside the window (else 400 WINDOW_CLOSED), or an approved template' })
  @ApiCreatedResponse({ type: OutboundMessageResponse })
  async reply(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', conversationId) id: string,
    @Body() dto: ReplyDto,
  ): Promise<OutboundMessageResponse> {
    return OutboundMessageResponse.from(await this.conversations.reply(actor, tenant.id, asConversationId(id), dto));
  }

  @Get(':id/appointments')
  @Roles(...STAFF)
  @ApiOkResponse({ type: [AppointmentResponse] })
  async appointmentsOf(@CurrentTenant() tenant: TenantEntity, @Param('id', conversationId) id: string): Promise<AppointmentResponse[]> {
    await this.conversations.get(tenant.id, asConversationId(id));
    const page = await this.appointments.list(tenant.id, { conversationId: asConversationId(id) }, { limit: 100, offset: 0 });
    return page.items.map((a) => AppointmentResponse.from(a));
  }

  @Post(':id/appointments')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Record an appointment request the citizen made in their own words (the citizen is told)' })
  @ApiCreatedResponse({ type: AppointmentResponse })
  async createAppointment(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', conversationId) id: string,
    @Body() dto: CreateAppointmentDto,
  ): Promise<AppointmentResponse> {
    const { appointment } = await this.appointments.createByEditor(actor, tenant.id, asConversationId(id), dto);
    return AppointmentResponse.from((await this.appointments.get(tenant.id, appointment.id)) ?? appointment);
  }
}
