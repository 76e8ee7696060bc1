import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { TenantId } from '#common';
import { UserRepository } from '#database';
import { AuthService, TenantsService, UserNotFoundError, type Actor, type TokenPair } from '#domain';
import { CurrentActor, Public } from '../http/auth.decorators.js';
import { LoginDto, RefreshDto, SessionUserResponse, TokenResponse } from './auth.dto.js';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly tenants: TenantsService,
    private readonly users: UserRepository,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with email and password' })
  @ApiOkResponse({ type: TokenResponse })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password (no hint which)' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts for this account or address; see Retry-After' })
  async login(@Body() dto: LoginDto, @Req() req: FastifyRequest): Promise<TokenResponse> {
    return this.respond(await this.auth.login(dto.email, dto.password, req.ip));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for new tokens (the old one is spent)' })
  @ApiOkResponse({ type: TokenResponse })
  async refresh(@Body() dto: RefreshDto): Promise<TokenResponse> {
    return this.respond(await this.auth.refresh(dto.refreshToken));
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke the session a refresh token belongs to' })
  async logout(@Body() dto: RefreshDto): Promise<void> {
    await this.auth.logout(dto.refreshToken);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: SessionUserResponse })
  async me(@CurrentActor() actor: Actor): Promise<SessionUserResponse> {
    const user = await this.users.findByIdUnscoped(actor.userId);
    if (!user) throw new UserNotFoundError();
    return {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      tenant: await this.slugOf(user.tenantId),
    };
  }

  private async respond(pair: TokenPair): Promise<TokenResponse> {
    return TokenResponse.from(pair, await this.slugOf(pair.user.tenantId));
  }

  private async slugOf(tenantId: TenantId | null): Promise<string | null> {
    return tenantId ? (await this.tenants.get(tenantId)).slug : null;
  }
}
