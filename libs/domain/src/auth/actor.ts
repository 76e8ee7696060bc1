import type { TenantId, UserId } from '#common';
import type { UserRole } from '#database';

/** Who is acting: taken from a verified access token, never from a request body. */
export interface Actor {
  userId: UserId;
  role: UserRole;
  tenantId: TenantId | null;
}
