import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ForbiddenError, RequestContext, UnauthorizedError } from '#common';
import type { UserRole } from '#database';
import { TenantNotFoundError, TenantsService, type Actor } from '#domain';
import { IS_PUBLIC, ROLES, type AuthenticatedRequest } from './auth.decorators.js';

const SLUG_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Every route needs a valid access token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    return super.canActivate(context) as Promise<boolean>;
  }

  override handleRequest<TUser = Actor>(err: unknown, user: TUser | false): TUser {
    if (err || !user) throw new UnauthorizedError('Missing, invalid or expired access token');
    RequestContext.set({ userId: (user as unknown as Actor).userId });
    return user;
  }
}

/** Checks @Roles(); a route without @Roles() admits any signed-in user. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, [context.getHandler(), context.getClass()]);
    if (!roles) return true;
    const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (!user) return true; // public route
    if (!roles.includes(user.role)) throw new ForbiddenError(`this action needs one of the roles: ${roles.join(', ')}`);
    return true;
  }
}

/**
 * The one place that decides whether the caller may act for the comune in `/tenants/:tenant/...`.
 * Operators act for every comune; a comune's users only for their own, and any other slug is
 * answered 404, exactly like a slug that does not exist, so nobody learns which comuni exist.
 */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(private readonly tenants: TenantsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const params = request.params as Record<string, string> | undefined;
    const slug = params?.tenant;
    if (slug === undefined) return true;
    const user = request.user;
    if (!user) throw new UnauthorizedError();
    if (!SLUG_RE.test(slug)) throw new TenantNotFoundError();
    const tenant = await this.tenants.resolveSlugUnscoped(slug);
    if (user.role !== 'operator' && user.tenantId !== tenant.id) throw new TenantNotFoundError();
    request.tenant = tenant;
    RequestContext.set({ tenantId: tenant.id });
    return true;
  }
}
