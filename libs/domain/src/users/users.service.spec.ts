import { asUserId } from '#common';
import { canManage } from './users.service.js';

const actor = (role: 'operator' | 'tenant_admin' | 'editor') => ({ userId: asUserId('u'), role, tenantId: null });

describe('canManage', () => {
  it('lets operators manage everyone and admins manage editors only', () => {
    expect(canManage(actor('operator'), 'tenant_admin')).toBe(true);
    expect(canManage(actor('tenant_admin'), 'editor')).toBe(true);
    expect(canManage(actor('tenant_admin'), 'tenant_admin')).toBe(false);
    expect(canManage(actor('editor'), 'editor')).toBe(false);
  });
});
