import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NotFoundError } from '#common';
import type { TenantEntity } from '#database';
import { CampaignSchedulesService, CampaignsService, type Actor, type CampaignEstimate, type CampaignStats } from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, type PageResponse } from '../http/pagination.dto.js';
import {
  CampaignQueryDto,
  CampaignResponse,
  CampaignSettingsDto,
  CampaignSettingsResponse,
  CreateCampaignDto,
  CreateScheduleDto,
  RejectCampaignDto,
  ScheduleCampaignDto,
  ScheduleResponse,
  TestSendDto,
  UpdateCampaignDto,
  UpdateScheduleDto,
} from './campaign.dto.js';

const campaignId = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('Campaign', 'CAMPAIGN_NOT_FOUND') });
const scheduleId = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('Schedule', 'SCHEDULE_NOT_FOUND') });
const STAFF = ['operator', 'tenant_admin', 'editor'] as const;
const ADMINS = ['operator', 'tenant_admin'] as const;

@ApiTags('campaigns')
@ApiBearerAuth()
@Controller('api/v1/tenants/:tenant')
export class CampaignsController {
  constructor(
    private readonly campaigns: CampaignsService,
    private readonly schedules: CampaignSchedulesService,
  ) {}

  @Get('campaigns')
  @Roles(...STAFF)
  async list(@CurrentTenant() tenant: TenantEntity, @Query() q: CampaignQueryDto): Promise<PageResponse<CampaignResponse>> {
    return mapPage(await this.campaigns.list(tenant.id, { limit: q.limit, offset: q.offset }, { status: q.status }), (c) => CampaignResponse.from(c));
  }

  @Post('campaigns')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Create a draft: template + variables (or free text), media, audience, priority' })
  async create(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Body() dto: CreateCampaignDto): Promise<CampaignResponse> {
    return CampaignResponse.from(await this.campaigns.create(tenant.id, actor, dto));
  }

  @Get('campaigns/:id')
  @Roles(...STAFF)
  async get(@CurrentTenant() tenant: TenantEntity, @Param('id', campaignId) id: string): Promise<CampaignResponse> {
    return CampaignResponse.from(await this.campaigns.get(tenant.id, id));
  }

  @Patch('campaigns/:id')
  @Roles(...STAFF)
  async update(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', campaignId) id: string,
    @Body() dto: UpdateCampaignDto,
  ): Promise<CampaignResponse> {
    return CampaignResponse.from(await this.campaigns.update(tenant.id, actor, id, dto));
  }

  @Get('campaigns/:id/estimate')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Audience, window, marketing opt-outs, frequency cap, portfolio capacity and launch threshold before sending' })
  estimate(@CurrentTenant() tenant: TenantEntity, @Param('id', campaignId) id: string): Promise<CampaignEstimate> {
    return this.campaigns.estimate(tenant.id, id);
  }

  @Get('campaigns/:id/stats')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Targeted, sent, delivered, read, failed by reason, pending, progress and rate; readable while sending' })
  stats(@CurrentTenant() tenant: TenantEntity, @Param('id', campaignId) id: string): Promise<CampaignStats> {
    return this.campaigns.stats(tenant.id, id);
  }

  @Post('campaigns/:id/test')
  @HttpCode(202)
  @Roles(...STAFF)
  @ApiOperation({ summary: "Send the campaign to the editor's own number, marked [PROVA]" })
  test(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', campaignId) id: string,
    @Body() dto: TestSendDto,
  ): Promise<{ outboundMessageId: string; as: 'text' | 'template' }> {
    return this.campaigns.testSend(tenant.id, actor, id, dto.to);
  }

  @Post('campaigns/:id/send')
  @HttpCode(202)
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Send now (or submit for approval where the comune requires it)' })
  async send(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', campaignId) id: string): Promise<CampaignResponse> {
    return CampaignResponse.from(await this.campaigns.send(tenant.id, actor, id));
  }

  @Post('campaigns/:id/schedule')
  @HttpCode(202)
  @Roles(...STAFF)
  async schedule(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', campaignId) id: string,
    @Body() dto: ScheduleCampaignDto,
  ): Promise<CampaignResponse> {
    return CampaignResponse.from(await this.campaigns.schedule(tenant.id, actor, id, dto.scheduledAt));
  }

  @Post('campaigns/:id/approve')
  @HttpCode(202)
  @Roles(...ADMINS)
  async approve(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', campaignId) id: string): Promise<CampaignResponse> {
    return CampaignResponse.from(await this.campaigns.approve(tenant.id, actor, id));
  }

  @Post('campaigns/:id/reject')
  @HttpCode(200)
  @Roles(...ADMINS)
  async reject(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', campaignId) id: string,
    @Body() dto: RejectCampaignDto,
  ): Promise<CampaignResponse> {
    return CampaignResponse.from(await this.campaigns.reject(tenant.id, actor, id, dto.reason));
  }

  @Post('campaigns/:id/pause')
  @HttpCode(200)
  @Roles(...STAFF)
  async pause(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', campaignId) id: string): Promise<CampaignResponse> {
    return CampaignResponse.from(await this.campaigns.pause(tenant.id, actor, id));
  }

  @Post('campaigns/:id/resume')
  @HttpCode(200)
  @Roles(...STAFF)
  async resume(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', campaignId) id: string): Promise<CampaignResponse> {
    return CampaignResponse.from(await this.campaigns.resume(tenant.id, actor, id));
  }

  @Post('campaigns/:id/cancel')
  @HttpCode(200)
  @Roles(...STAFF)
  async cancel(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', campaignId) id: string): Promise<CampaignResponse> {
    return CampaignResponse.from(await this.campaigns.cancel(tenant.id, actor, id));
  }

  @Get('campaign-settings')
  @Roles(...STAFF)
  @ApiOkResponse({ type: CampaignSettingsResponse })
  async settings(@CurrentTenant() tenant: TenantEntity): Promise<CampaignSettingsResponse> {
    return CampaignSettingsResponse.from(await this.campaigns.getSettings(tenant.id));
  }

  @Put('campaign-settings')
  @Roles(...ADMINS)
  @ApiOperation({ summary: 'Approval, weekly frequency cap and quiet hours (admins)' })
  async saveSettings(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Body() dto: CampaignSettingsDto,
  ): Promise<CampaignSettingsResponse> {
    return CampaignSettingsResponse.from(await this.campaigns.updateSettings(tenant.id, actor, dto));
  }

  @Get('campaign-schedules')
  @Roles(...STAFF)
  async schedulesList(@CurrentTenant() tenant: TenantEntity): Promise<ScheduleResponse[]> {
    return (await this.schedules.list(tenant.id)).map((s) => ScheduleResponse.from(s));
  }

  @Post('campaign-schedules')
  @Roles(...STAFF)
  @ApiOperation({ summary: "A recurring cadence, e.g. a digest every Tuesday and Friday at 10:00 (cron in the comune's timezone)" })
  async scheduleCreate(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Body() dto: CreateScheduleDto,
  ): Promise<ScheduleResponse> {
    return ScheduleResponse.from(await this.schedules.create(tenant.id, actor, dto));
  }

  @Patch('campaign-schedules/:id')
  @Roles(...STAFF)
  async scheduleUpdate(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', scheduleId) id: string,
    @Body() dto: UpdateScheduleDto,
  ): Promise<ScheduleResponse> {
    return ScheduleResponse.from(await this.schedules.update(tenant.id, actor, id, dto));
  }

  @Delete('campaign-schedules/:id')
  @HttpCode(204)
  @Roles(...STAFF)
  async scheduleDelete(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', scheduleId) id: string): Promise<void> {
    await this.schedules.remove(tenant.id, actor, id);
  }
}
