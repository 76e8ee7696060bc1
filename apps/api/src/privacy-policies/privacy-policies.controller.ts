import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { TenantEntity } from '#database';
import { AcceptanceRequestsService, PolicyVersionNotFoundError, PrivacyPoliciesService, type Actor } from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { AcceptanceRequestDto, PublishPolicyVersionDto, UpdatePolicyVersionDto } from './privacy-policy.dto.js';
import { AcceptanceRequestResponse, PolicyVersionResponse, PolicyVersionStatusResponse } from './privacy-policy.response.js';

const versionId = new ParseUUIDPipe({ exceptionFactory: () => new PolicyVersionNotFoundError() });
const STAFF = ['operator', 'tenant_admin', 'editor'] as const;
const ADMINS = ['operator', 'tenant_admin'] as const;

@ApiTags('privacy policy')
@ApiBearerAuth()
@Controller('api/v1/tenants/:tenant/privacy-policies')
export class PrivacyPoliciesController {
  constructor(
    private readonly policies: PrivacyPoliciesService,
    private readonly requests: AcceptanceRequestsService,
  ) {}

  @Get()
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Every published version, newest first, with how many active subscribers accepted, are pending, were asked and when' })
  @ApiOkResponse({ type: [PolicyVersionStatusResponse] })
  async list(@CurrentTenant() tenant: TenantEntity): Promise<PolicyVersionStatusResponse[]> {
    return (await this.policies.list(tenant.id)).map((s) => PolicyVersionStatusResponse.fromStatus(s));
  }

  @Post()
  @Roles(...ADMINS)
  @ApiOperation({ summary: 'Publish a new version: it becomes the one every consent quotes (admins; audited)' })
  @ApiCreatedResponse({ type: PolicyVersionResponse })
  @ApiConflictResponse({ description: 'POLICY_VERSION_EXISTS: the label was published before' })
  async publish(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Body() dto: PublishPolicyVersionDto,
  ): Promise<PolicyVersionResponse> {
    return PolicyVersionResponse.from(await this.policies.publish(actor, tenant.id, dto));
  }

  @Get(':id')
  @Roles(...STAFF)
  @ApiOkResponse({ type: PolicyVersionStatusResponse })
  @ApiNotFoundResponse({ description: 'No such version in this comune' })
  async get(@CurrentTenant() tenant: TenantEntity, @Param('id', versionId) id: string): Promise<PolicyVersionStatusResponse> {
    return PolicyVersionStatusResponse.fromStatus(await this.policies.get(tenant.id, id));
  }

  @Patch(':id')
  @Roles(...ADMINS)
  @ApiOperation({ summary: 'Correct the link, or set or remove the acceptance deadline of the current version (admins; audited)' })
  @ApiOkResponse({ type: PolicyVersionResponse })
  async update(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', versionId) id: string,
    @Body() dto: UpdatePolicyVersionDto,
  ): Promise<PolicyVersionResponse> {
    return PolicyVersionResponse.from(await this.policies.update(actor, tenant.id, id, dto));
  }

  @Post(':id/acceptance-requests')
  @HttpCode(202)
  @Roles(...ADMINS)
  @ApiOperation({
    summary:
      'Ask active subscribers who have not accepted the current version to accept it (a campaign: free text inside the window, the approved utility template outside it). Nobody asked twice unless reminder (admins)',
  })
  @ApiAcceptedResponse({ type: AcceptanceRequestResponse })
  @ApiConflictResponse({
    description:
      'POLICY_NOT_CURRENT, POLICY_REQUEST_IN_PROGRESS, POLICY_NOTHING_PENDING, POLICY_ALREADY_ASKED, CAMPAIGN_BLOCKED (launch threshold), OVER_CAPACITY',
  })
  async ask(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', versionId) id: string,
    @Body() dto: AcceptanceRequestDto,
  ): Promise<AcceptanceRequestResponse> {
    return AcceptanceRequestResponse.from(await this.requests.ask(actor, tenant.id, id, dto));
  }
}
