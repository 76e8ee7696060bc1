import { Injectable } from '@nestjs/common';
import { SecretBox, SharedLoads, type NumberId, type TenantId } from '#common';
import { ProviderAppRepository, TenantDb, WhatsappNumberRepository, type ProviderKind, type WhatsappNumberEntity } from '#database';
import type { SenderCredentials } from '#whatsapp';

export interface SendingNumber {
  number: WhatsappNumberEntity;
  providerKind: ProviderKind;
  credentials: SenderCredentials;
}

/**
 * How long a number's row and decrypted token are reused by a worker before being read again; past
 * it, sends go on with them while one of them reads them again (SharedLoads' staleMs), for up to
 * STALE_MS.
 */
const TTL_MS = 5_000;
const STALE_MS = 60_000;

/**
 * The sending side's view of a number: its row, its provider and its decrypted token, cached for a
 * few seconds so a burst of sends does not decrypt and re-read it for every message. Pausing a
 * number invalidates the entry at once in this process; other processes see it within TTL_MS and
 * one read, and a send that slips through meanwhile fails with the same error and is released again.
 */
@Injectable()
export class NumberDirectory {
  /** Look-ups in flight are shared (a campaign's first batches all ask at once); an unknown number is not kept. */
  private readonly cache = new SharedLoads<SendingNumber | null>(TTL_MS, { keep: (v) => v !== null, staleMs: STALE_MS });

  constructor(
    private readonly numbers: WhatsappNumberRepository,
    private readonly apps: ProviderAppRepository,
    private readonly box: SecretBox,
    private readonly db: TenantDb,
  ) {}

  get(tenantId: TenantId, numberId: NumberId): Promise<SendingNumber | null> {
    return this.cache.get(`${tenantId}/${numberId}`, () => this.load(tenantId, numberId));
  }

  private async load(tenantId: TenantId, numberId: NumberId): Promise<SendingNumber | null> {
    // One transaction: one wait for a pooled connection, not two.
    const found = await this.db.forTenant(tenantId, async () => {
      const number = await this.numbers.findById(tenantId, numberId);
      const app = number ? await this.apps.findById(number.providerAppId) : null;
      return number && app ? { number, app } : null;
    });
    if (!found) return null;
    const { number, app } = found;
    return {
      number,
      providerKind: app.kind,
      credentials: { phoneNumberId: number.phoneNumberId, accessToken: this.box.decrypt(number.accessTokenEnc) },
    };
  }

  invalidate(tenantId: TenantId, numberId: NumberId): void {
    this.cache.delete(`${tenantId}/${numberId}`);
  }
}
