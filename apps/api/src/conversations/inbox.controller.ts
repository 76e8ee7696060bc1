import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { asContactId } from '#common';
import type { TenantEntity } from '#database';
import {
  AppointmentNotFoundError,
  AppointmentsService,
  CannedRepliesService,
  CannedReplyNotFoundError,
  CitizenBlocksService,
  InboxContactNotFoundError,
  InboxFiguresService,
  InboxSettingsService,
  type Actor,
} from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, type PageResponse } from '../http/pagination.dto.js';
import {
  AppointmentPageResponse,
  AppointmentQueryDto,
  AppointmentResponse,
  BlockCitizenDto,
  CannedReplyDto,
  CannedReplyResponse,
  ChangeAppointmentDto,
  CitizenBlockResponse,
  FiguresQueryDto,
  InboxFiguresResponse,
  InboxPresetDto,
  InboxSettingsDto,
  InboxSettingsResponse,
  UpdateCannedReplyDto,
} from './conversation.dto.js';

const appointmentId = new ParseUUIDPipe({ exceptionFactory: () => new AppointmentNotFoundError() });
const cannedId = new ParseUUIDPipe({ exceptionFactory: () => new CannedReplyNotFoundError() });
const contactId = new ParseUUIDPipe({ exceptionFactory: () => new InboxContactNotFoundError() });
const STAFF = ['operator', 'tenant_admin', 'editor'] as const;
const ADMINS = ['operator', 'tenant_admin'] as const;

/** The inbox's configuration and its side features: canned replies, appointments, blocked citizens, usage figures. */
@ApiTags('inbox')
@ApiBearerAuth()
@Controller('api/v1/tenants/:tenant')
export class InboxController {
  constructor(
    private readonly settings: InboxSettingsService,
    private readonly canned: CannedRepliesService,
    private readonly appointments: AppointmentsService,
    private readonly blocks: CitizenBlocksService,
    private readonly figures: InboxFiguresService,
  ) {}

  @Get('inbox-settings')
  @Roles(...STAFF)
  @ApiOkResponse({ type: InboxSettingsResponse })
  async getSettings(@CurrentTenant() tenant: TenantEntity): Promise<InboxSettingsResponse> {
    return InboxSettingsResponse.from(await this.settings.get(tenant.id), await this.settings.status(tenant.id));
  }

  @Put('inbox-settings')
  @Roles(...ADMINS)
  @ApiOperation({ summary: 'Office hours, holidays, emergency keyword, on-duty contact, texts (admins)' })
  @ApiOkResponse({ type: InboxSettingsResponse })
  async saveSettings(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Body() dto: InboxSettingsDto,
  ): Promise<InboxSettingsResponse> {
    const saved = await this.settings.save(actor, tenant.id, dto);
    return InboxSettingsResponse.from(saved, await this.settings.status(tenant.id));
  }

  @Post('inbox-settings/preset')
  @HttpCode(200)
  @Roles(...ADMINS)
  @ApiOperation({ summary: 'Configure the inbox like a two-way comune’s preset (admins)' })
  @ApiOkResponse({ type: InboxSettingsResponse })
  async applyPreset(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Body() dto: InboxPresetDto,
  ): Promise<InboxSettingsResponse> {
    const saved = await this.settings.applyPreset(actor, tenant.id, dto.preset);
    return InboxSettingsResponse.from(saved, await this.settings.status(tenant.id));
  }

  @Get('canned-replies')
  @Roles(...STAFF)
  @ApiOkResponse({ type: [CannedReplyResponse] })
  async listCanned(@CurrentTenant() tenant: TenantEntity): Promise<CannedReplyResponse[]> {
    return (await this.canned.list(tenant.id)).map((c) => CannedReplyResponse.from(c));
  }

  @Post('canned-replies')
  @Roles(...STAFF)
  @ApiCreatedResponse({ type: CannedReplyResponse })
  async createCanned(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Body() dto: CannedReplyDto): Promise<CannedReplyResponse> {
    return CannedReplyResponse.from(await this.canned.create(actor, tenant.id, dto));
  }

  @Patch('canned-replies/:id')
  @Roles(...STAFF)
  @ApiOkResponse({ type: CannedReplyResponse })
  async updateCanned(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', cannedId) id: string,
    @Body() dto: UpdateCannedReplyDto,
  ): Promise<CannedReplyResponse> {
    return CannedReplyResponse.from(await this.canned.update(actor, tenant.id, id, dto));
  }

  @Delete('canned-replies/:id')
  @HttpCode(204)
  @Roles(...STAFF)
  @ApiNoContentResponse()
  async deleteCanned(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', cannedId) id: string): Promise<void> {
    await this.canned.delete(actor, tenant.id, id);
  }

  @Get('appointments')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Appointment requests, newest first' })
  @ApiOkResponse({ type: AppointmentPageResponse })
  async listAppointments(@CurrentTenant() tenant: TenantEntity, @Query() q: AppointmentQueryDto): Promise<PageResponse<AppointmentResponse>> {
    const page = await this.appointments.list(tenant.id, { status: q.status }, { limit: q.limit, offset: q.offset });
    return mapPage(page, (a) => AppointmentResponse.from(a));
  }

  @Get('appointments/:id')
  @Roles(...STAFF)
  @ApiOkResponse({ type: AppointmentResponse })
  async getAppointment(@CurrentTenant() tenant: TenantEntity, @Param('id', appointmentId) id: string): Promise<AppointmentResponse> {
    return AppointmentResponse.from(await this.appointments.get(tenant.id, id));
  }

  @Patch('appointments/:id')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'requested → proposed (with a slot) → confirmed | declined; the citizen is told of each change' })
  @ApiOkResponse({ type: AppointmentResponse })
  async changeAppointment(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', appointmentId) id: string,
    @Body() dto: ChangeAppointmentDto,
  ): Promise<AppointmentResponse> {
    const { appointment } = await this.appointments.change(actor, tenant.id, id, dto);
    return AppointmentResponse.from(await this.appointments.get(tenant.id, appointment.id));
  }

  @Get('blocked-contacts')
  @Roles(...STAFF)
  @ApiOkResponse({ type: [CitizenBlockResponse] })
  async listBlocked(@CurrentTenant() tenant: TenantEntity): Promise<CitizenBlockResponse[]> {
    return (await this.blocks.list(tenant.id)).map((b) => CitizenBlockResponse.from(b));
  }

  @Post('contacts/:contactId/block')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Block a citizen for offensive, threatening or abusive messages (audited; the citizen is told once)' })
  @ApiCreatedResponse({ type: CitizenBlockResponse })
  async block(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('contactId', contactId) id: string,
    @Body() dto: BlockCitizenDto,
  ): Promise<CitizenBlockResponse> {
    return CitizenBlockResponse.from(await this.blocks.block(actor, tenant.id, asContactId(id), dto.reason, dto.note ?? null));
  }

  @Delete('contacts/:contactId/block')
  @HttpCode(204)
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Unblock a citizen (audited)' })
  @ApiNoContentResponse()
  async unblock(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('contactId', contactId) id: string): Promise<void> {
    await this.blocks.unblock(actor, tenant.id, asContactId(id));
  }

  @Get('inbox-figures')
  @Roles(...STAFF)
  @ApiOperation({
    summary: 'Per local day: inbound messages by category, conversations opened and closed, median first response within office hours',
  })
  @ApiOkResponse({ type: InboxFiguresResponse })
  async getFigures(@CurrentTenant() tenant: TenantEntity, @Query() q: FiguresQueryDto): Promise<InboxFiguresResponse> {
    return InboxFiguresResponse.from(await this.figures.figures(tenant.id, q.from, q.to));
  }
}
