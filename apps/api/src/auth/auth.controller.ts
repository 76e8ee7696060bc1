import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuthService, type Actor } from '#domain';
import { CurrentActor, Public } from '../http/auth.decorators.js';
import { LoginDto, RefreshDto, SessionUserResponse, TokenResponse } from './auth.dto.js';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with email and password' })
  @ApiOkResponse({ type: TokenResponse })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password (no hint which)' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts for this account or address; see Retry-After' })
  async login(@Body() dto: LoginDto, @Req() req: FastifyRequest): Promise<TokenResponse> {
    return TokenResponse.from(await this.auth.login(dto.email, dto.password, req.ip));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for new tokens (the old one is spent)' })
  @ApiOkResponse({ type: TokenResponse })
  async refresh(@Body() dto: RefreshDto): Promise<TokenResponse> {
    return TokenResponse.from(await this.auth.refresh(dto.refreshToken));
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
    return SessionUserResponse.from(await this.auth.profile(actor.userId));
  }
}
