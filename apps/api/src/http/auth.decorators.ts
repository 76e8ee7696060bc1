import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { UserRole, TenantEntity } from '#database';
import type { Actor } from '#domain';

export const IS_PUBLIC = 'araldo:isPublic';
export const ROLES = 'araldo:roles';

/** A route anyone may call (sign-in, health, the webhook later). Everything else needs a token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** The roles allowed on a route; operators are listed explicitly where they are allowed. */
export const Roles = (...roles: UserRole[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES, roles);

export interface AuthenticatedRequest extends FastifyRequest {
  user?: Actor;
  tenant?: TenantEntity;
}

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const user = ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) throw new Error('CurrentActor used on a public route');
  return user;
});

/** The comune named by the route's `:tenant`, already checked against the caller by TenantGuard. */
export const CurrentTenant = createParamDecorator((_: unknown, ctx: ExecutionContext): TenantEntity => {
  const tenant = ctx.switchToHttp().getRequest<AuthenticatedRequest>().tenant;
  if (!tenant) throw new Error('CurrentTenant used on a route without :tenant');
  return tenant;
});
