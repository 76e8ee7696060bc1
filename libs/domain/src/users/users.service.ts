import { Injectable } from '@nestjs/common';
import { ForbiddenError, newId, NotFoundError, ValidationError, type TenantId, type UserId } from '#common';
import { UserRepository, type Page, type PageRequest, type UserEntity, type UserPatch, type UserRole } from '#database';
import type { Actor } from '../auth/actor.js';
import { AuthService } from '../auth/auth.service.js';
import { PasswordHasher, passwordProblem } from '../auth/password-hasher.js';
import { AuditService } from '../audit/audit.service.js';

export type TenantRole = Exclude<UserRole, 'operator'>;

export interface CreateUserInput {
  email: string;
  displayName?: string | null;
  password: string;
  role: TenantRole;
}

export interface UpdateUserInput {
  displayName?: string | null;
  role?: TenantRole;
  disabled?: boolean;
  password?: string;
}

export class UserNotFoundError extends NotFoundError {
  constructor() {
    super('User', 'USER_NOT_FOUND');
  }
}

/**
 * Who may manage whom: operators manage every comune's users; a comune's tenant_admin manages
 * the editors of that comune (not other admins, and never themself into a lower role).
 */
export function canManage(actor: Actor, targetRole: TenantRole): boolean {
  if (actor.role === 'operator') return true;
  if (actor.role === 'tenant_admin') return targetRole === 'editor';
  return false;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly auth: AuthService,
  ) {}

  async createInTenant(actor: Actor | null, tenantId: TenantId, input: CreateUserInput): Promise<UserEntity> {
    if (actor && !canManage(actor, input.role)) throw new ForbiddenError(`a ${actor.role} cannot create a ${input.role}`);
    assertPassword(input.password);
    const user = await this.users.createInTenant(tenantId, {
      id: newId<UserId>(),
      email: input.email.trim().toLowerCase(),
      displayName: input.displayName ?? null,
      passwordHash: await this.hasher.hash(input.password),
      role: input.role,
    });
    await this.audit.record(tenantId, actor, 'user.created', { type: 'user', id: user.id }, { role: user.role });
    return user;
  }

  async createOperator(email: string, password: string, displayName: string | null = null): Promise<UserEntity> {
    assertPassword(password);
    return this.users.createOperatorUnscoped({
      id: newId<UserId>(),
      email: email.trim().toLowerCase(),
      displayName,
      passwordHash: await this.hasher.hash(password),
    });
  }

  list(tenantId: TenantId, page: PageRequest): Promise<Page<UserEntity>> {
    return this.users.listInTenant(tenantId, page);
  }

  async get(tenantId: TenantId, userId: UserId): Promise<UserEntity> {
    const user = await this.users.findInTenant(tenantId, userId);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  async update(actor: Actor, tenantId: TenantId, userId: UserId, input: UpdateUserInput): Promise<UserEntity> {
    const current = await this.get(tenantId, userId);
    const role = current.role as TenantRole;
    if (!canManage(actor, role) || (input.role !== undefined && !canManage(actor, input.role))) {
      throw new ForbiddenError(`a ${actor.role} cannot change a ${current.role}`);
    }
    if (actor.userId === userId && (input.disabled === true || (input.role && input.role !== current.role))) {
      throw new ForbiddenError('you cannot disable yourself or change your own role');
    }
    const patch: UserPatch = {};
    if (input.displayName !== undefined) patch.displayName = input.displayName;
    if (input.role !== undefined) patch.role = input.role;
    if (input.disabled !== undefined) patch.disabled = input.disabled;
    if (input.password !== undefined) {
      assertPassword(input.password);
      patch.passwordHash = await this.hasher.hash(input.password);
    }
    const updated = await this.users.updateInTenant(tenantId, userId, patch);
    if (!updated) throw new UserNotFoundError();
    if (input.disabled === true || input.password !== undefined) await this.auth.revokeAllSessions(userId);
    const fields = Object.keys(patch).map((f) => (f === 'passwordHash' ? 'password' : f));
    await this.audit.record(tenantId, actor, 'user.updated', { type: 'user', id: userId }, { fields });
    return updated;
  }
}

function assertPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new ValidationError(`password ${problem}`, { field: 'password' });
}
