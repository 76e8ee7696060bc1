import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { asProviderAppId } from '#common';
import { ProviderAppNotFoundError, ProviderAppsService } from '#domain';
import { Roles } from '../http/auth.decorators.js';
import { mapPage, PaginationQueryDto, type PageResponse } from '../http/pagination.dto.js';
import { CreateProviderAppDto, ProviderAppPageResponse, ProviderAppResponse, UpdateProviderAppDto } from './provider-app.dto.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new ProviderAppNotFoundError() });

@ApiTags('provider-apps')
@ApiBearerAuth()
@Roles('operator')
@Controller('api/v1/provider-apps')
export class ProviderAppsController {
  constructor(private readonly apps: ProviderAppsService) {}

  @Post()
  @ApiOperation({ summary: 'Register a Meta app (or the built-in simulator) whose webhooks the consortium receives' })
  @ApiCreatedResponse({ type: ProviderAppResponse })
  async create(@Body() dto: CreateProviderAppDto): Promise<ProviderAppResponse> {
    return ProviderAppResponse.from(await this.apps.create(dto));
  }

  @Get()
  @ApiOkResponse({ type: ProviderAppPageResponse })
  async list(@Query() page: PaginationQueryDto): Promise<PageResponse<ProviderAppResponse>> {
    return mapPage(await this.apps.list(page), (e) => ProviderAppResponse.from(e));
  }

  @Get(':id')
  @ApiOkResponse({ type: ProviderAppResponse })
  async get(@Param('id', uuid) id: string): Promise<ProviderAppResponse> {
    return ProviderAppResponse.from(await this.apps.get(asProviderAppId(id)));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, rotate the app secret (two accepted during a rotation) or change the verify token' })
  @ApiOkResponse({ type: ProviderAppResponse })
  async update(@Param('id', uuid) id: string, @Body() dto: UpdateProviderAppDto): Promise<ProviderAppResponse> {
    return ProviderAppResponse.from(await this.apps.update(asProviderAppId(id), dto));
  }
}
