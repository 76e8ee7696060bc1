import type { Client } from 'pg';
import { newId } from '#common';
import type { Channel } from './channel.js';
import { bearer, type Comune, type Session } from './factories.js';
import type { TestApp } from './test-app.js';

/** Requests under a comune's /api/v1/tenants/:slug, as one of its (or another comune's) users. */
export function tenantApi(t: TestApp) {
  const api = (c: Comune) => `/api/v1/tenants/${c.tenant.slug}`;
  return {
    post: (c: Comune, s: Session, path: string, body: Record<string, unknown> = {}) =>
      t
        .http()
        .post(`${api(c)}${path}`)
        .set(...bearer(s))
        .send(body),
    put: (c: Comune, s: Session, path: string, body: Record<string, unknown>) =>
      t
        .http()
        .put(`${api(c)}${path}`)
        .set(...bearer(s))
        .send(body),
    patch: (c: Comune, s: Session, path: string, body: Record<string, unknown>) =>
      t
        .http()
        .patch(`${api(c)}${path}`)
        .set(...bearer(s))
        .send(body),
    get: (c: Comune, s: Session, path: string) =>
      t
        .http()
        .get(`${api(c)}${path}`)
        .set(...bearer(s)),
    delete: (c: Comune, s: Session, path: string) =>
      t
        .http()
        .delete(`${api(c)}${path}`)
        .set(...bearer(s)),
    /** A multipart upload of one file in the part named `file`. */
    upload: (c: Comune, s: Session, path: string, file: { bytes: Buffer; filename: string; contentType: string }) =>
      t
        .http()
        .post(`${api(c)}${path}`)
        .set(...bearer(s))
        .attach('file', file.bytes, { filename: file.filename, contentType: file.contentType }),
  };
}

/** Opens a citizen's 24-hour window, on the simulator and in araldo, as if they had just written. */
export async function openWindow(ch: Pick<Channel, 'sim'>, db: Client, c: Comune, e164: string): Promise<void> {
  const waId = e164.slice(1);
  await ch.sim.setWindow({ phoneNumberId: c.number.phoneNumberId, waId, lastInboundAt: new Date().toISOString() });
  await db.query(
    `INSERT INTO contacts (tenant_id, id, number_id, wa_id, last_inbound_at) VALUES ($1, $2, $3, $4, now())
     ON CONFLICT (tenant_id, number_id, wa_id) DO UPDATE SET last_inbound_at = now()`,
    [c.tenant.id, newId(), c.number.id, waId],
  );
}
