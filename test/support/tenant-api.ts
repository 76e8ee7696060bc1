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

/**
 * Waits until a campaign reaches one of `statuses` (read through the api, as an editor would) and
 * returns it. On timeout the error says where the campaign stood, from Postgres: its status and
 * snapshot, and its messages by status, error and due time, so a slow run in CI can be read.
 */
export async function campaignEnded(
  t: TestApp,
  db: Client,
  c: Comune,
  id: string,
  opts: { statuses?: readonly string[]; timeoutMs?: number } = {},
): Promise<string> {
  const statuses = opts.statuses ?? ['completed'];
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const status = (await tenantApi(t).get(c, c.editor, `/campaigns/${id}`).expect(200)).body.status as string;
    if (statuses.includes(status)) return status;
    if (Date.now() > deadline)
      throw new Error(`campaign ${id} still ${status}, waited for ${statuses.join(' | ')}: ${await campaignState(db, c, id)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function campaignState(db: Client, c: Comune, id: string): Promise<string> {
  const campaign = await db.query(`SELECT status, started_at, snapshot_done_at, failure_reason FROM campaigns WHERE tenant_id = $1 AND id = $2`, [
    c.tenant.id,
    id,
  ]);
  const rows = await db.query(
    `SELECT status, error_code, error_action, left(error_reason, 200) AS error_reason, attempts,
            round(extract(epoch FROM next_attempt_at - now())) AS due_in_s, count(*)::int AS n
       FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2 GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 6`,
    [c.tenant.id, id],
  );
  const number = await db.query(`SELECT status, paused_reason FROM whatsapp_numbers WHERE tenant_id = $1 AND id = $2`, [c.tenant.id, c.number.id]);
  return JSON.stringify({ campaign: campaign.rows[0] ?? null, number: number.rows[0] ?? null, messages: rows.rows, at: new Date().toISOString() });
}
