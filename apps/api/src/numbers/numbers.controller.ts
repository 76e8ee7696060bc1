import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { asNumberId, asProviderAppId } from '#common';
import type { TenantEntity } from '#database';
import { NumberNotFoundError, NumbersService, type Actor } from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, PaginationQueryDto, type PageResponse } from '../http/pagination.dto.js';
import { AddNumberDto, NumberPageResponse, NumberResponse, UpdateNumberDto } from './number.dto.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new NumberNotFoundError() });

@ApiTags('numbers')
@ApiBearerAuth()
@Controller('api/v1/tenants/:tenant/numbers')
export class NumbersController {
  constructor(private readonly numbers: NumbersService) {}

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: 'Add a WhatsApp number to a comune (operators)' })
  @ApiCreatedResponse({ type: NumberResponse })
  async add(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Body() dto: AddNumberDto): Promise<NumberResponse> {
    return NumberResponse.from(await this.numbers.add(actor, tenant.id, { ...dto, providerAppId: asProviderAppId(dto.providerAppId) }));
  }

  @Get()
  @Roles('operator', 'tenant_admin', 'editor')
  @ApiOkResponse({ type: NumberPageResponse })
  async list(@CurrentTenant() tenant: TenantEntity, @Query() page: PaginationQueryDto): Promise<PageResponse<NumberResponse>> {
    return mapPage(await this.numbers.list(tenant.id, page), (e) => NumberResponse.from(e));
  }

  @Get(':id')
  @Roles('operator', 'tenant_admin', 'editor')
  @ApiOkResponse({ type: NumberResponse })
  async get(@CurrentTenant() tenant: TenantEntity, @Param('id', uuid) id: string): Promise<NumberResponse> {
    return NumberResponse.from(await this.numbers.get(tenant.id, asNumberId(id)));
  }

  @Patch(':id')
  @Roles('operator')
  @ApiOperation({ summary: 'Update a number, rotate its access token, pause or resume it (operators)' })
  @ApiOkResponse({ type: NumberResponse })
  async update(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', uuid) id: string,
    @Body() dto: UpdateNumberDto,
  ): Promise<NumberResponse> {
    return NumberResponse.from(await this.numbers.update(actor, tenant.id, asNumberId(id), dto));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Disable a number for good: nothing is sent through it any more (operators)' })
  @ApiOkResponse({ type: NumberResponse })
  async disable(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', uuid) id: string): Promise<NumberResponse> {
    return NumberResponse.from(await this.numbers.disable(actor, tenant.id, asNumberId(id)));
  }
}
