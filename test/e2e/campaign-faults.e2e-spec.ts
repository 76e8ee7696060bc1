import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from 'pg';
import { WebhookEventRepository } from '#database';
import { CampaignsService, ChannelMaintenanceService, RESERVATION_HORIZON_MS, type SweepReport } from '#domain';
import { QueueProducer } from '#queue';
import type { OutboundRecord } from '../../apps/simulator/src/simulator-client.js';
import { startChannel, type ChannelWithoutWorker } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import { bearer, type Comune, type Session } from '../support/factories.js';
import { waitFor } from '../support/worker.js';

/**
 * Campaign dispatch under faults, end to end: the api in this process, the worker as a separate
 * OS process started from dist/ (npm test builds it first) so it can be killed with SIGKILL, and
 * the simulator as a real HTTP server. What must hold whatever goes wrong (docs/adr/0009, 0006):
 * every recipient reached exactly once, nobody lost, the stats telling the truth.
 */
const root = resolve(import.meta.dirname, '..', '..');
const emptyDir = mkdtempSync(join(tmpdir(), 'araldo-faults-'));

/** What the worker process logged that the tests look at. */
interface WorkerEvent {
  event: string;
  outboundId?: string;
  code?: number | null;
  action?: string;
}

/** The real worker entry point, started as a person would start it, in an empty folder (no .env). */
class WorkerProcess {
  readonly events: WorkerEvent[] = [];
  private stderr = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"event":"send_')) continue;
        const entry = JSON.parse(line) as WorkerEvent;
        this.events.push({ event: entry.event, outboundId: entry.outboundId, code: entry.code, action: entry.action });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString('utf8')).slice(-4000)));
  }

  static async start(env: Record<string, string>): Promise<WorkerProcess> {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS'));
    const child = spawn(process.execPath, [join(root, 'dist/apps/worker/src/main.js')], {
      cwd: emptyDir,
      env: { ...base, ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const w = new WorkerProcess(child);
    const started = new Promise<void>((r) => {
      const onData = (d: Buffer): void => {
        if (!d.toString('utf8').includes('araldo worker started')) return;
        child.stdout!.off('data', onData);
        r();
      };
      child.stdout!.on('data', onData);
    });
    const failed = w.exited.then(({ code, signal }) => {
      throw new Error(`the worker exited (${signal ?? code}) before it started: ${w.stderr}`);
    });
    await Promise.race([started, failed]);
    return w;
  }

  /** SIGKILL: no shutdown hook runs, jobs and sends in flight are cut where they are. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    expect((await this.exited).signal).toBe('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }

  count(event: string, filter: (e: WorkerEvent) => boolean = () => true): number {
    return this.events.filter((e) => e.event === event && filter(e)).length;
  }
}

describe('campaign dispatch under faults', () => {
  let ch: ChannelWithoutWorker;
  let db: Client;
  let worker: WorkerProcess;
  const settleSeconds = 8;

  const http = () => ch.t.http();
  const api = (c: Comune) => `/api/v1/tenants/${c.tenant.slug}`;
  const post = (c: Comune, s: Session, path: string, body: Record<string, unknown> = {}) =>
    http()
      .post(`${api(c)}${path}`)
      .set(...bearer(s))
      .send(body);
  const get = (c: Comune, path: string) =>
    http()
      .get(`${api(c)}${path}`)
      .set(...bearer(c.editor));
  const status = async (c: Comune, id: string) => (await get(c, `/campaigns/${id}`).expect(200)).body.status as string;
  const stats = async (c: Comune, id: string) => (await get(c, `/campaigns/${id}/stats`).expect(200)).body as CampaignStats;
  const received = (c: Comune): Promise<OutboundRecord[]> => ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId });
  const completed = (c: Comune, id: string, timeoutMs = 30_000) =>
    waitFor(async () => (await status(c, id)) === 'completed' || null, timeoutMs, `campaign ${id} completed`);

  /**
   * A comune whose number araldo paces at `mpsCap` and the simulator caps at `simMps` (130429
   * above it), in the unlimited messaging tier, with an approved utility template linked to a
   * message template.
   */
  const comune = async (base: string, opts: { mpsCap: number; simMps: number }) => {
    const c = await ch.comune(base);
    await db.query(`UPDATE whatsapp_numbers SET mps_cap = $2, messaging_tier = 'unlimited' WHERE id = $1`, [c.number.id, opts.mpsCap]);
    await ch.sim.registerNumber({
      phoneNumberId: c.number.phoneNumberId,
      wabaId: c.number.wabaId,
      displayPhoneNumber: c.number.displayNumber.slice(1),
      accessToken: c.numberToken,
      appSecret: ch.app.plainSecret,
      webhookUrl: `${ch.t.url}/webhooks/whatsapp/${ch.app.appId}`,
      mps: opts.simMps,
    });
    await ch.sim.createTemplate({ wabaId: c.number.wabaId, name: 'avviso', language: 'it', category: 'UTILITY', body: 'Gentile {{1}}, {{2}}.' });
    await post(c, c.admin, '/whatsapp-templates/sync').expect(200);
    const t = await post(c, c.editor, '/message-templates', {
      name: 'Avviso',
      body: 'Gentile {{nome}}, {{avviso}}.',
      whatsappTemplate: { name: 'avviso', language: 'it', bodyParameters: ['nome', 'avviso'] },
    }).expect(201);
    return { ...c, templateId: t.body.id as string };
  };
  type FaultComune = Awaited<ReturnType<typeof comune>>;

  /** `n` active subscribers tagged `tag`, in one INSERT ... SELECT; returns their phones (E.164). */
  const seed = async (c: Comune, n: number, tag: string, phoneBase: number): Promise<string[]> => {
    const r = await db.query(
      `INSERT INTO subscribers (tenant_id, id, phone_e164, first_name, tags, status, source, activated_at)
       SELECT $1, gen_random_uuid(), '+39' || ($2::bigint + i)::text, 'Mario', ARRAY[$4::text], 'active', 'import', now() - interval '30 days'
         FROM generate_series(1, $3) AS i
       RETURNING phone_e164`,
      [c.tenant.id, phoneBase, n, tag],
    );
    return r.rows.map((x: { phone_e164: string }) => x.phone_e164);
  };

  const draft = async (c: FaultComune, tag: string, priority: 'normal' | 'emergency' = 'normal') =>
    (
      await post(c, c.editor, '/campaigns', {
        title: `${priority} ${tag}`,
        messageTemplateId: c.templateId,
        variables: { avviso: priority === 'emergency' ? 'allerta rossa: evitate gli spostamenti' : 'via Roma chiusa domani' },
        audience: { tags: [tag] },
        priority,
      }).expect(201)
    ).body.id as string;

  const send = async (c: Comune, id: string) => {
    await post(c, c.editor, `/campaigns/${id}/send`).expect(202);
    await waitFor(async () => (await status(c, id)) !== 'scheduled' || null, 20_000, 'campaign started');
    expect(await status(c, id)).toBe('sending');
  };

  /** How many of the campaign's rows Meta (the simulator) has accepted, as araldo recorded it. */
  const goneOut = async (id: string): Promise<number> =>
    (await db.query(`SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 AND provider_message_id IS NOT NULL`, [id])).rows[0]
      .n as number;

  /**
   * What the minute sweep job does (channel sweep, then starting due and completing finished
   * campaigns), run every half second by the test until the campaign completes. Reports are kept so
   * tests can say what the sweep had to settle.
   */
  const sweepUntilCompleted = async (c: Comune, id: string, timeoutMs: number): Promise<SweepReport[]> => {
    const reports: SweepReport[] = [];
    let last = 0;
    await waitFor(
      async () => {
        if (Date.now() - last >= 500) {
          last = Date.now();
          reports.push(await ch.t.app.get(ChannelMaintenanceService).sweep());
          await ch.t.app.get(CampaignsService).runDue();
        }
        return (await status(c, id)) === 'completed' || null;
      },
      timeoutMs,
      `campaign ${id} completed`,
    );
    return reports;
  };
  const total = (reports: SweepReport[], key: keyof SweepReport) => reports.reduce((n, r) => n + r[key], 0);

  /** Each phone's number of messages in the simulator's log (what Meta accepted), for one campaign's rows. */
  const perRecipient = async (c: Comune, campaignId: string) => {
    const rows = await db.query(`SELECT id FROM outbound_messages WHERE campaign_id = $1`, [campaignId]);
    const ids = new Set(rows.rows.map((r: { id: string }) => r.id));
    const msgs = (await received(c)).filter((m) => m.bizOpaqueCallbackData !== null && ids.has(m.bizOpaqueCallbackData));
    const counts = new Map<string, number>();
    for (const m of msgs) counts.set(`+${m.to.replace(/^\+/, '')}`, (counts.get(`+${m.to.replace(/^\+/, '')}`) ?? 0) + 1);
    return { msgs, counts };
  };

  /** Every phone got exactly one message of the campaign, and nobody else got one. */
  const expectExactlyOnce = async (c: Comune, campaignId: string, phones: readonly string[]) => {
    const { msgs, counts } = await perRecipient(c, campaignId);
    const repeated = [...counts].filter(([, n]) => n > 1);
    const missing = phones.filter((p) => !counts.has(p));
    expect({ repeated: repeated.length, missing: missing.length }).toEqual({ repeated: 0, missing: 0 });
    expect(new Set(counts.keys())).toEqual(new Set(phones));
    // And araldo recorded, on each row, the wamid of the one message Meta accepted for it.
    const recorded = await db.query(`SELECT id, provider_message_id FROM outbound_messages WHERE campaign_id = $1`, [campaignId]);
    const wamidOf = new Map(msgs.map((m) => [m.bizOpaqueCallbackData, m.wamid]));
    const mismatched = recorded.rows.filter((r: { id: string; provider_message_id: string | null }) => wamidOf.get(r.id) !== r.provider_message_id);
    expect(mismatched).toEqual([]);
    return msgs;
  };

  const expectConsistent = (s: CampaignStats) => {
    const parts = s.pending + s.sent + s.failed + s.skipped + s.cancelled;
    expect(parts).toBe(s.targeted);
    expect(Object.values(s.byStatus).reduce((a, b) => a + b, 0)).toBe(s.targeted);
  };

  beforeAll(async () => {
    ch = await startChannel(
      { STALE_SENDING_AFTER_SECONDS: '4', UNKNOWN_OUTCOME_SETTLE_SECONDS: String(settleSeconds), WHATSAPP_REQUEST_TIMEOUT_MS: '2000' },
      { worker: false },
    );
    db = await ownerClient(ch.t.config);
    worker = await WorkerProcess.start(ch.env);
  });
  afterAll(async () => {
    await worker?.stop();
    await db?.end();
    await ch?.close();
  });

  it('a worker killed with SIGKILL in the middle of a 5,000-recipient campaign: after a restart everyone gets it exactly once', async () => {
    const c = await comune('sigkill', { mpsCap: 400, simMps: 2000 });
    // One receipt per message (sent) is all this test needs; it spares the api two webhooks per send.
    await ch.sim.setStatusBehaviour({ phoneNumberId: c.number.phoneNumberId, stopAt: 'sent' });
    const phones = await seed(c, 5000, 'tutti', 3_330_000_000);
    const id = await draft(c, 'tutti');
    await send(c, id);

    // Mid-campaign: well under way, with rows claimed by the worker's jobs.
    await waitFor(async () => (await goneOut(id)) >= 1500 || null, 30_000, '1,500 sent');
    await worker.kill();
    const killedAt = new Date();
    const atKill = await stats(c, id);
    expect(atKill.targeted).toBe(5000);
    expectConsistent(atKill);
    expect(atKill.pending).toBeGreaterThan(0);
    expect(atKill.byStatus.queued).toBeGreaterThan(0);
    const inDoubt = (await db.query(`SELECT id FROM outbound_messages WHERE campaign_id = $1 AND status = 'sending'`, [id])).rows.map(
      (r: { id: string }) => r.id,
    );
    // Jobs claim their rows before their slots come, so a busy worker always dies holding some.
    expect(inDoubt.length).toBeGreaterThan(0);
    // Let requests cut mid-flight land (or not) before taking the simulator's word for what it accepted.
    await new Promise((r) => setTimeout(r, 300));
    const acceptedBeforeRestart = (await received(c)).map((m) => m.bizOpaqueCallbackData).filter((x): x is string => x !== null);
    expect(acceptedBeforeRestart.length).toBeLessThan(5000);

    worker = await WorkerProcess.start(ch.env);
    // Webhook batches the dead worker was processing stay pending until Bull finds their jobs
    // stalled, or the sweep's lost-job rule (2 minutes) re-enqueues them; done here at once, as the
    // settle period of this test is seconds rather than 15 minutes (ADR 0006: receipts must be able
    // to arrive within it).
    const pending = await ch.t.app.get(WebhookEventRepository).listStalePendingIds(new Date(), 5000);
    await ch.t.app.get(QueueProducer).processWebhookEvents(pending);
    // Every message Meta accepted before the restart is recognised, from its send response or its
    // receipt (the dead worker never read the responses of its last sends).
    await waitFor(
      async () => {
        const r = await db.query(`SELECT count(*)::int AS n FROM outbound_messages WHERE id = ANY($1::uuid[]) AND provider_message_id IS NULL`, [
          acceptedBeforeRestart,
        ]);
        return r.rows[0].n === 0 || null;
      },
      20_000,
      'receipts of what was accepted before the crash applied',
    );

    const reports = await sweepUntilCompleted(c, id, 60_000);
    // The rows the dead worker held went through the in-doubt path: unknown, then settled by a
    // receipt or sent again after the settle period.
    expect(total(reports, 'staleSendingToUnknown')).toBeGreaterThan(0);
    const unsettled = inDoubt.filter((x) => !acceptedBeforeRestart.includes(x));
    if (unsettled.length > 0) expect(total(reports, 'unknownResent')).toBeGreaterThan(0);

    const msgs = await expectExactlyOnce(c, id, phones);
    expect(msgs).toHaveLength(5000);
    expect(msgs.some((m) => new Date(m.acceptedAt) > killedAt)).toBe(true);
    const s = await stats(c, id);
    expect(s).toMatchObject({ targeted: 5000, pending: 0, sent: 5000, failed: 0, skipped: 0, cancelled: 0, progressPercent: 100 });
    expectConsistent(s);
  }, 150_000);
});

interface CampaignStats {
  targeted: number;
  pending: number;
  sent: number;
  delivered: number;
  failed: number;
  skipped: number;
  cancelled: number;
  byStatus: Record<string, number>;
  failedByReason: { code: number | null; action: string | null; reason: string | null; count: number }[];
  progressPercent: number;
}
