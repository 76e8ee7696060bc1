import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, newId, type AppConfig, type TenantId, type UserId } from '#common';
import { RefreshTokenRepository, TenantRepository, UserRepository, type UserEntity, type UserRole } from '#database';
import { InvalidCredentialsError, InvalidRefreshTokenError } from './auth.errors.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';

export interface AccessTokenClaims {
  sub: UserId;
  role: UserRole;
  tid: TenantId | null;
}

export interface TokenPair {
  accessToken: string;
  accessTokenExpiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  user: UserEntity;
  /** Slug of the user's comune; null for operators. */
  tenantSlug: string | null;
}

export interface Profile {
  user: UserEntity;
  tenantSlug: string | null;
}

/** The JWT algorithm is pinned: tokens signed any other way (or `alg: none`) are rejected. */
export const JWT_ALGORITHM = 'HS256';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly tenants: TenantRepository,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async login(email: string, password: string, ip: string): Promise<TokenPair> {
    const normalized = email.trim().toLowerCase();
    await this.throttle.beforeAttempt(ip, normalized);
    const user = await this.users.findByEmailUnscoped(normalized);
    const valid = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !valid || user.disabled) {
      await this.throttle.recordFailure(normalized);
      this.logger.warn({ event: 'login_failed', userId: user?.id ?? null });
      throw new InvalidCredentialsError();
    }
    await this.throttle.recordSuccess(normalized);
    await this.users.recordLoginUnscoped(user.id, new Date());
    this.logger.log({ event: 'login', userId: user.id, role: user.role });
    return this.issue(user, newId());
  }

  /**
   * Rotates a refresh token: the presented token is spent and a new one of the same family is
   * returned. A token presented a second time means it was copied; the whole family is revoked.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const now = new Date();
    const { consumed, token } = await this.refreshTokens.consume(hashToken(refreshToken), now);
    if (!token) throw new InvalidRefreshTokenError();
    if (!consumed) {
      if (token.rotatedAt && !token.revokedAt) {
        await this.refreshTokens.revokeFamily(token.familyId, now);
        this.logger.warn({ event: 'refresh_token_reuse', userId: token.userId });
      }
      throw new InvalidRefreshTokenError();
    }
    const user = await this.users.findByIdUnscoped(token.userId);
    if (!user || user.disabled) {
      await this.refreshTokens.revokeFamily(token.familyId, now);
      throw new InvalidRefreshTokenError();
    }
    return this.issue(user, token.familyId);
  }

  /** Revokes the sign-in the refresh token belongs to. Unknown tokens are ignored (idempotent). */
  async logout(refreshToken: string): Promise<void> {
    const { token } = await this.refreshTokens.consume(hashToken(refreshToken), new Date());
    if (token) await this.refreshTokens.revokeFamily(token.familyId, new Date());
  }

  /** The signed-in user and the slug of their comune. */
  async profile(userId: UserId): Promise<Profile> {
    const user = await this.users.findByIdUnscoped(userId);
    if (!user || user.disabled) throw new InvalidCredentialsError();
    return { user, tenantSlug: await this.slugOf(user.tenantId) };
  }

  private async slugOf(tenantId: TenantId | null): Promise<string | null> {
    return tenantId ? ((await this.tenants.findById(tenantId))?.slug ?? null) : null;
  }

  /** Signs out every session of a user, e.g. when an account is disabled. */
  async revokeAllSessions(userId: UserId): Promise<void> {
    await this.refreshTokens.revokeAllForUser(userId, new Date());
  }

  private async issue(user: UserEntity, familyId: string): Promise<TokenPair> {
    const claims: AccessTokenClaims = { sub: user.id, role: user.role, tid: user.tenantId };
    const accessToken = await this.jwt.signAsync(claims, {
      algorithm: JWT_ALGORITHM,
      secret: this.config.jwt.secret,
      issuer: this.config.jwt.issuer,
      audience: this.config.jwt.audience,
      expiresIn: this.config.jwt.accessTtlSeconds,
      jwtid: newId(),
    });
    const refreshToken = randomBytes(32).toString('base64url');
    const refreshTokenExpiresAt = new Date(Date.now() + this.config.jwt.refreshTtlDays * 86_400_000);
    await this.refreshTokens.insert({
      id: newId(),
      userId: user.id,
      familyId,
      tokenHash: hashToken(refreshToken),
      expiresAt: refreshTokenExpiresAt,
    });
    return {
      accessToken,
      accessTokenExpiresIn: this.config.jwt.accessTtlSeconds,
      refreshToken,
      refreshTokenExpiresAt,
      user,
      tenantSlug: await this.slugOf(user.tenantId),
    };
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
