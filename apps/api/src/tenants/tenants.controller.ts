import { Body, Controller, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TenantEntity } from '#database';
import { TenantsService, type Actor } from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, PaginationQueryDto, type PageResponse } from '../http/pagination.dto.js';
import { CreateTenantDto, TenantPageResponse, TenantResponse, UpdateTenantDto } from './tenant.dto.js';

@ApiTags('tenants')
@ApiBearerAuth()
@Controller('api/v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: 'Onboard a comune (operators)' })
  @ApiCreatedResponse({ type: TenantResponse })
  async create(@CurrentActor() actor: Actor, @Body() dto: CreateTenantDto): Promise<TenantResponse> {
    return TenantResponse.from(await this.tenants.create(actor, dto));
  }

  @Get()
  @Roles('operator')
  @ApiOperation({ summary: 'List every comune (operators)' })
  @ApiOkResponse({ type: TenantPageResponse })
  async list(@Query() page: PaginationQueryDto): Promise<PageResponse<TenantResponse>> {
    return mapPage(await this.tenants.list(page), (e) => TenantResponse.from(e));
  }

  @Get(':tenant')
  @ApiOperation({ summary: 'A comune: operators see all, its own users see their own' })
  @ApiOkResponse({ type: TenantResponse })
  @ApiNotFoundResponse({ description: 'No such comune, or not yours' })
  get(@CurrentTenant() tenant: TenantEntity): TenantResponse {
    return TenantResponse.from(tenant);
  }

  @Patch(':tenant')
  @Roles('operator', 'tenant_admin')
  @ApiOperation({ summary: "Update a comune's settings (operators, the comune's admin)" })
  @ApiOkResponse({ type: TenantResponse })
  async update(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Body() dto: UpdateTenantDto): Promise<TenantResponse> {
    return TenantResponse.from(await this.tenants.update(actor, tenant.id, dto));
  }
}
