import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG, isUuid, asUserId, type AppConfig } from '#common';
import { UserRepository } from '#database';
import { JWT_ALGORITHM, type AccessTokenClaims, type Actor } from '#domain';

/**
 * Verifies access tokens: signature with the pinned algorithm, issuer, audience and expiry. The
 * user is then read again, so a disabled account or a changed role takes effect at once.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly users: UserRepository,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwt.secret,
      algorithms: [JWT_ALGORITHM],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
    });
  }

  async validate(payload: Partial<AccessTokenClaims>): Promise<Actor | false> {
    if (!isUuid(payload.sub)) return false;
    const user = await this.users.findByIdUnscoped(asUserId(payload.sub));
    if (!user || user.disabled) return false;
    return { userId: user.id, role: user.role, tenantId: user.tenantId };
  }
}
