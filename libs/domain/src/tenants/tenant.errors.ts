import { NotFoundError } from '#common';

export class TenantNotFoundError extends NotFoundError {
  constructor() {
    super('Comune', 'TENANT_NOT_FOUND');
  }
}
