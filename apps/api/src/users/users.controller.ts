import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { asUserId } from '#common';
import type { TenantEntity } from '#database';
import { UserNotFoundError, UsersService, type Actor } from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, PaginationQueryDto, type PageResponse } from '../http/pagination.dto.js';
import { CreateUserDto, UpdateUserDto, UserPageResponse, UserResponse } from './user.dto.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new UserNotFoundError() });

@ApiTags('users')
@ApiBearerAuth()
@Roles('operator', 'tenant_admin')
@Controller('api/v1/tenants/:tenant/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiOperation({ summary: "Create a comune's user: operators create admins and editors, a comune's admin creates editors" })
  @ApiCreatedResponse({ type: UserResponse })
  async create(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Body() dto: CreateUserDto): Promise<UserResponse> {
    return UserResponse.from(await this.users.createInTenant(actor, tenant.id, dto));
  }

  @Get()
  @ApiOkResponse({ type: UserPageResponse })
  async list(@CurrentTenant() tenant: TenantEntity, @Query() page: PaginationQueryDto): Promise<PageResponse<UserResponse>> {
    return mapPage(await this.users.list(tenant.id, page), (e) => UserResponse.from(e));
  }

  @Get(':id')
  @ApiOkResponse({ type: UserResponse })
  async get(@CurrentTenant() tenant: TenantEntity, @Param('id', uuid) id: string): Promise<UserResponse> {
    return UserResponse.from(await this.users.get(tenant.id, asUserId(id)));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, change role, reset password, disable or re-enable a user' })
  @ApiOkResponse({ type: UserResponse })
  async update(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Param('id', uuid) id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<UserResponse> {
    return UserResponse.from(await this.users.update(actor, tenant.id, asUserId(id), dto));
  }
}
