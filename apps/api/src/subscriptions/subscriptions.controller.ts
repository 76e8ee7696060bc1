import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TenantEntity } from '#database';
import {
  KeywordRuleNotFoundError,
  ListNotFoundError,
  SubscriberNotFoundError,
  SubscribersService,
  SubscriptionConfigService,
  type Actor,
} from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, type PageResponse } from '../http/pagination.dto.js';
import {
  ApplyPresetDto,
  ConsentEventResponse,
  CreateKeywordRuleDto,
  CreateListDto,
  EditSubscriberDto,
  KeywordRuleResponse,
  ListResponse,
  SubscriberCountsResponse,
  SubscriberDetailResponse,
  SubscriberExportResponse,
  SubscriberPageResponse,
  SubscriberQueryDto,
  SubscriberResponse,
  SubscriptionSettingsDto,
  SubscriptionSettingsResponse,
  UpdateKeywordRuleDto,
  UpdateListDto,
} from './subscription.dto.js';

const listId = new ParseUUIDPipe({ exceptionFactory: () => new ListNotFoundError() });
const ruleId = new ParseUUIDPipe({ exceptionFactory: () => new KeywordRuleNotFoundError() });
const subscriberId = new ParseUUIDPipe({ exceptionFactory: () => new SubscriberNotFoundError() });
const STAFF = ['operator', 'tenant_admin', 'editor'] as const;
const ADMINS = ['operator', 'tenant_admin'] as const;

@ApiTags('subscriptions')
@ApiBearerAuth()
@Controller('api/v1/tenants/:tenant')
export class SubscriptionsController {
  constructor(
    private readonly config: SubscriptionConfigService,
    private readonly subscribers: SubscribersService,
  ) {}

  @Get('subscription-settings')
  @Roles(...STAFF)
  @ApiOkResponse({ type: SubscriptionSettingsResponse })
  async settings(@CurrentTenant() tenant: TenantEntity): Promise<SubscriptionSettingsResponse> {
    return SubscriptionSettingsResponse.from(await this.config.settings(tenant.id));
  }

  @Put('subscription-settings')
  @Roles(...ADMINS)
  @ApiOperation({ summary: 'What citizens must give to subscribe, the frazioni, the replies, the launch threshold (admins)' })
  @ApiOkResponse({ type: SubscriptionSettingsResponse })
  async saveSettings(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Body() dto: SubscriptionSettingsDto,
  ): Promise<SubscriptionSettingsResponse> {
    return SubscriptionSettingsResponse.from(await this.config.saveSettings(actor, tenant.id, dto));
  }

  @Post('subscription-settings/preset')
  @HttpCode(200)
  @Roles(...ADMINS)
  @ApiOperation({ summary: 'Configure a new comune like one of the presets (keywords, lists, fields, replies) (admins)' })
  @ApiOkResponse({ type: SubscriptionSettingsResponse })
  async applyPreset(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Body() dto: ApplyPresetDto,
  ): Promise<SubscriptionSettingsResponse> {
    await this.config.applyPreset(actor, tenant.id, dto.preset);
    return SubscriptionSettingsResponse.from(await this.config.settings(tenant.id));
  }

  @Get('lists')
  @Roles(...STAFF)
  @ApiOkResponse({ type: [ListResponse] })
  async lists(@CurrentTenant() tenant: TenantEntity): Promise<ListResponse[]> {
    return (await this.config.lists(tenant.id)).map((l) => ListResponse.from(l));
  }

  @Post('lists')
  @Roles(...ADMINS)
  @ApiCreatedResponse({ type: ListResponse })
  async createList(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Body() dto: CreateListDto): Promise<ListResponse> {
    return ListResponse.from(await this.config.createList(actor, tenant.id, dto));
  }

  @Patch('lists/:id')
  @Roles(...ADMINS)
  @ApiOkResponse({ type: ListResponse })
  async updateList(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', listId) id: string,
    @Body() dto: UpdateListDto,
  ): Promise<ListResponse> {
    return ListResponse.from(await this.config.updateList(actor, tenant.id, id, dto));
  }

  @Delete('lists/:id')
  @HttpCode(204)
  @Roles(...ADMINS)
  @ApiNoContentResponse()
  async deleteList(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', listId) id: string): Promise<void> {
    await this.config.deleteList(actor, tenant.id, id);
  }

  @Get('keyword-rules')
  @Roles(...STAFF)
  @ApiOkResponse({ type: [KeywordRuleResponse] })
  async rules(@CurrentTenant() tenant: TenantEntity): Promise<KeywordRuleResponse[]> {
    return (await this.config.rules(tenant.id)).map((r) => KeywordRuleResponse.from(r));
  }

  @Post('keyword-rules')
  @Roles(...ADMINS)
  @ApiOperation({ summary: 'A keyword: subscribe, unsubscribe, accept_policy, help or status, with its phrases (admins)' })
  @ApiCreatedResponse({ type: KeywordRuleResponse })
  async createRule(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Body() dto: CreateKeywordRuleDto,
  ): Promise<KeywordRuleResponse> {
    return KeywordRuleResponse.from(await this.config.createRule(actor, tenant.id, dto));
  }

  @Patch('keyword-rules/:id')
  @Roles(...ADMINS)
  @ApiOkResponse({ type: KeywordRuleResponse })
  async updateRule(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', ruleId) id: string,
    @Body() dto: UpdateKeywordRuleDto,
  ): Promise<KeywordRuleResponse> {
    return KeywordRuleResponse.from(await this.config.updateRule(actor, tenant.id, id, dto));
  }

  @Delete('keyword-rules/:id')
  @HttpCode(204)
  @Roles(...ADMINS)
  @ApiNoContentResponse()
  async deleteRule(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', ruleId) id: string): Promise<void> {
    await this.config.deleteRule(actor, tenant.id, id);
  }

  @Get('subscribers')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Search subscribers by list, frazione, tag, status or text' })
  @ApiOkResponse({ type: SubscriberPageResponse })
  async search(@CurrentTenant() tenant: TenantEntity, @Query() q: SubscriberQueryDto): Promise<PageResponse<SubscriberResponse>> {
    const page = await this.subscribers.search(
      tenant.id,
      { status: q.status, listId: q.listId, frazione: q.frazione, tag: q.tag, text: q.q },
      { limit: q.limit, offset: q.offset },
    );
    return mapPage(page, (s) => SubscriberResponse.from(s));
  }

  @Get('subscribers/counts')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Counts by status, list and frazione, and progress toward the launch threshold' })
  @ApiOkResponse({ type: SubscriberCountsResponse })
  counts(@CurrentTenant() tenant: TenantEntity): Promise<SubscriberCountsResponse> {
    return this.subscribers.counts(tenant.id);
  }

  @Get('subscribers/:id')
  @Roles(...STAFF)
  @ApiOkResponse({ type: SubscriberDetailResponse })
  async get(@CurrentTenant() tenant: TenantEntity, @Param('id', subscriberId) id: string): Promise<SubscriberDetailResponse> {
    return SubscriberDetailResponse.fromDetail(await this.subscribers.get(tenant.id, id));
  }

  @Patch('subscribers/:id')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Edit name, frazione or tags (recorded in the consent ledger)' })
  @ApiOkResponse({ type: SubscriberDetailResponse })
  async edit(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', subscriberId) id: string,
    @Body() dto: EditSubscriberDto,
  ): Promise<SubscriberDetailResponse> {
    return SubscriberDetailResponse.fromDetail(await this.subscribers.edit(actor, tenant.id, id, dto));
  }

  @Get('subscribers/:id/export')
  @Roles(...ADMINS)
  @ApiOperation({ summary: 'Everything held about the person, with the consent ledger (data access request; admins)' })
  @ApiOkResponse({ type: SubscriberExportResponse })
  async export(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', subscriberId) id: string,
  ): Promise<SubscriberExportResponse> {
    const data = await this.subscribers.export(actor, tenant.id, id);
    return { ...SubscriberDetailResponse.fromDetail(data), consent: data.consent.map((e) => ConsentEventResponse.from(e)) };
  }

  @Post('subscribers/:id/erase')
  @HttpCode(204)
  @Roles(...ADMINS)
  @ApiOperation({ summary: 'Erase the person’s data; anonymous counts and a minimal ledger entry stay (admins)' })
  @ApiNoContentResponse()
  async erase(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', subscriberId) id: string): Promise<void> {
    await this.subscribers.erase(actor, tenant.id, id);
  }
}
