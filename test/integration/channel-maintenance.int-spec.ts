import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getQueueToken } from '@nestjs/bull';
import type { INestApplicationContext } from '@nestjs/common';
import type { Queue } from 'bull';
import type { Client } from 'pg';
import { newId, type MediaFileId, type OutboundMessageId } from '#common';
import { CampaignRepository, OutboundMessageRepository } from '#database';
import { ChannelMaintenanceService, MEDIA_STORAGE, NumberDirectory, WebhookProcessingService, type MediaStorage } from '#domain';
import { QueueName, QueueProducer, type SendOutboundPayload } from '#queue';
import { ownerClient } from '../support/database.js';
import { createComune, createProviderApp, uniq, type Comune } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { envelope, inboundText, metaJson, wamid } from '../support/webhooks.js';
import { startWorker, waitFor } from '../support/worker.js';

/** The minute sweep (lost jobs, unknown outcomes) and the nightly retention purge. */
describe('channel maintenance', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  let db: Client;
  let amaro: Comune;
  let app: Awaited<ReturnType<typeof createProviderApp>>;
  const DAY = 86_400_000;

  beforeAll(async () => {
    t = await createTestApp({ REDIS_KEY_PREFIX: `{araldo-test-maint-${uniq()}}` });
    worker = await startWorker(t.config);
    db = await ownerClient(t.config);
    app = await createProviderApp(t);
    amaro = await createComune(t, 'amaro', app);
  });
  afterAll(async () => {
    await db.end();
    await worker.close();
    await t.close();
  });

  const maintenance = () => t.app.get(ChannelMaintenanceService);
  async function outbound(status: string, updatedAgoMs: number, extra = ''): Promise<string> {
    const id = newId();
    await db.query(
      `INSERT INTO outbound_messages (tenant_id, id, number_id, recipient, recipient_kind, kind, status, content, updated_at, created_at ${extra ? ', error_action' : ''})
       VALUES ($1, $2, $3, '+393331234567', 'phone', 'editor_reply', $4, '{"type":"text","body":"x"}', now() - ($5 || ' milliseconds')::interval, now() - ($5 || ' milliseconds')::interval ${extra ? ', $6' : ''})`,
      extra ? [amaro.tenant.id, id, amaro.number.id, status, updatedAgoMs, extra] : [amaro.tenant.id, id, amaro.number.id, status, updatedAgoMs],
    );
    return id;
  }
  const statusOf = async (id: string) =>
    (await db.query(`SELECT status, error_action FROM outbound_messages WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, id])).rows[0];

  describe('sweep', () => {
    it('processes a stored webhook event whose queue job was lost', async () => {
      const id = wamid();
      const body = metaJson(envelope(amaro.number.wabaId, [inboundText(amaro.number.phoneNumberId, '393331000010', 'perso', { id })]));
      // Stored, but no job was ever queued (as if Redis had lost it), three minutes ago.
      await db.query(`INSERT INTO webhook_events (provider_app_id, received_at, body) VALUES ($1, now() - interval '3 minutes', $2)`, [app.id, body]);
      const report = await maintenance().sweep();
      expect(report.webhookEventsRequeued).toBeGreaterThanOrEqual(1);
      await waitFor(
        async () => (await db.query(`SELECT 1 FROM inbound_messages WHERE tenant_id = $1 AND wamid = $2`, [amaro.tenant.id, id])).rowCount,
      );
    });

    it("queues a citizen's message again once its handle job is lost, and it is handled once", async () => {
      const producer = t.app.get(QueueProducer);
      const queue = producer.handleInbound.bind(producer);
      // Queued, then lost with Redis: nothing reaches the worker.
      producer.handleInbound = () => Promise.resolve();
      const id = wamid();
      const body = metaJson(envelope(amaro.number.wabaId, [inboundText(amaro.number.phoneNumberId, '393331000088', 'ATTIVA', { id })]));
      const eventId = String(
        (await db.query(`INSERT INTO webhook_events (provider_app_id, body) VALUES ($1, $2) RETURNING id`, [app.id, body])).rows[0].id,
      );
      try {
        await t.app.get(WebhookProcessingService).processEvents([eventId]);
      } finally {
        producer.handleInbound = queue;
      }
      const handledAt = async () =>
        (
          (await db.query(`SELECT handled_at FROM inbound_messages WHERE tenant_id = $1 AND wamid = $2`, [amaro.tenant.id, id])).rows[0] as
            { handled_at: Date | null } | undefined
        )?.handled_at ?? null;
      const message = (await db.query(`SELECT id, handled_at FROM inbound_messages WHERE tenant_id = $1 AND wamid = $2`, [amaro.tenant.id, id]))
        .rows[0] as { id: string; handled_at: Date | null };
      expect(message.handled_at).toBeNull();
      // Still within LOST_JOB_AFTER_MS: its job may yet come.
      await maintenance().sweep();
      await new Promise((r) => setTimeout(r, 300));
      expect(await handledAt()).toBeNull();
      await db.query(`UPDATE inbound_messages SET received_at = now() - interval '3 minutes' WHERE tenant_id = $1 AND id = $2`, [
        amaro.tenant.id,
        message.id,
      ]);
      expect((await maintenance().sweep()).inboundRequeued).toBeGreaterThanOrEqual(1);
      const first = await waitFor(handledAt, 15_000, 'handled');
      // Handled: the next sweep leaves it alone.
      await maintenance().sweep();
      await new Promise((r) => setTimeout(r, 300));
      expect(await handledAt()).toEqual(first);
    });

    it('queues again an unknown outcome that got no receipt in the settle period, and fails it after the last attempt', async () => {
      const stale = await outbound('unknown', 2 * 60 * 60_000, 'unknown_outcome');
      const fresh = await outbound('unknown', 60_000, 'unknown_outcome');
      const spent = await outbound('unknown', 2 * 60 * 60_000, 'unknown_outcome');
      await db.query(`UPDATE outbound_messages SET attempts = 10 WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, spent]);
      const report = await maintenance().sweep();
      expect(report.unknownResent).toBeGreaterThanOrEqual(1);
      // Queued again, and the worker may already have taken it.
      const resent = await statusOf(stale);
      expect(['queued', 'sending']).toContain(resent.status);
      expect(await statusOf(fresh)).toEqual({ status: 'unknown', error_action: 'unknown_outcome' });
      expect(await statusOf(spent)).toEqual({ status: 'failed', error_action: 'unknown_expired' });
    });

    it('ends, instead of queueing again, an unsettled unknown outcome of a campaign cancelled or failed meanwhile; a late receipt still settles it', async () => {
      const campaigns: string[] = [];
      /** A campaign message whose send timed out two hours ago, no receipt since; then the campaign moves to `status`. */
      const unsettled = async (status: string, failureReason: string | null = null): Promise<string> => {
        const campaignId = newId();
        campaigns.push(campaignId);
        await db.query(
          `INSERT INTO campaigns (tenant_id, id, title, number_id, body, status, failure_reason) VALUES ($1, $2, 'Incerti', $3, 'x', 'sending', $4)`,
          [amaro.tenant.id, campaignId, amaro.number.id, failureReason],
        );
        // A worker killed mid-send leaves the same row once the sweep has made its 'sending' unknown.
        const id = newId();
        await db.query(
          `INSERT INTO outbound_messages (tenant_id, id, number_id, recipient, recipient_kind, kind, campaign_id, status, error_action, attempts, updated_at, created_at)
           VALUES ($1, $2, $3, '+393331234567', 'phone', 'campaign', $4, 'unknown', 'unknown_outcome', 1, now() - interval '2 hours', now() - interval '2 hours')`,
          [amaro.tenant.id, id, amaro.number.id, campaignId],
        );
        // The cancel (or the failure) commits the campaign's status, then ends its queued rows: this
        // one is not queued, so it is left as it was.
        await db.query(`UPDATE campaigns SET status = $3 WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, campaignId, status]);
        if (status !== 'paused') await t.app.get(CampaignRepository).cancelQueued(amaro.tenant.id, campaignId, failureReason ?? undefined);
        return id;
      };
      const row = async (id: string) =>
        (
          await db.query(`SELECT status, error_action, error_reason, next_attempt_at FROM outbound_messages WHERE tenant_id = $1 AND id = $2`, [
            amaro.tenant.id,
            id,
          ])
        ).rows[0];
      try {
        const cancelled = await unsettled('cancelled');
        const failed = await unsettled('failed', "l'allegato non è più nella libreria");
        const paused = await unsettled('paused');
        await maintenance().sweep();
        // Not queued again for a campaign that will never send (no claim would take it, nothing
        // would end it): ended, with the campaign's reason as a release gives it.
        expect(await row(cancelled)).toEqual({
          status: 'failed',
          error_action: 'unknown_expired',
          error_reason: expect.stringMatching(/^campaign cancelled/),
          next_attempt_at: null,
        });
        expect(await row(failed)).toMatchObject({
          status: 'failed',
          error_action: 'unknown_expired',
          error_reason: expect.stringMatching(/^l'allegato/),
        });
        // A paused campaign's is queued again, and goes when the campaign resumes.
        expect(await row(paused)).toMatchObject({ status: 'queued', error_action: 'unknown_resent' });
        // Meta had the cancelled campaign's message after all: its receipt, however late, says so.
        await t.app.get(OutboundMessageRepository).applyReceipts(amaro.tenant.id, [
          {
            id: cancelled as OutboundMessageId,
            providerMessageId: wamid(),
            status: 'delivered',
            sentAt: new Date(),
            deliveredAt: new Date(),
            readAt: null,
            failedAt: null,
            errorCode: null,
            errorReason: null,
            errorAction: null,
            pricing: null,
          },
        ]);
        expect(await row(cancelled)).toMatchObject({ status: 'delivered', error_action: null, error_reason: null });
      } finally {
        await db.query(
          `UPDATE outbound_messages SET status = 'cancelled' WHERE tenant_id = $1 AND campaign_id = ANY($2::uuid[]) AND status = 'queued'`,
          [amaro.tenant.id, campaigns],
        );
        await db.query(`UPDATE campaigns SET status = 'cancelled' WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [amaro.tenant.id, campaigns]);
      }
    });

    it('enqueues a lost campaign message once: its new job’s time is recorded, and the next sweep leaves it to that job', async () => {
      // One message a second: 200 lost messages are planned over about 200 s, in jobs of 10.
      const directories = [t.app.get(NumberDirectory), worker.get(NumberDirectory)];
      await db.query(`UPDATE whatsapp_numbers SET mps_cap = 1 WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, amaro.number.id]);
      for (const d of directories) d.invalidate(amaro.tenant.id, amaro.number.id);
      const campaignId = newId();
      await db.query(`INSERT INTO campaigns (tenant_id, id, title, number_id, body, status) VALUES ($1, $2, 'Persi', $3, 'x', 'sending')`, [
        amaro.tenant.id,
        campaignId,
        amaro.number.id,
      ]);
      const ids = Array.from({ length: 200 }, () => newId());
      await db.query(
        `INSERT INTO outbound_messages (tenant_id, id, number_id, recipient, recipient_kind, kind, campaign_id, status, next_attempt_at, created_at)
         SELECT $1, u.id, $2, '+39333' || lpad(u.n::text, 7, '0'), 'phone', 'campaign', $3, 'queued', now() - interval '5 minutes', now() - interval '10 minutes'
           FROM unnest($4::uuid[]) WITH ORDINALITY AS u(id, n)`,
        [amaro.tenant.id, amaro.number.id, campaignId, ids],
      );
      try {
        const sweptAt = Date.now();
        expect((await maintenance().sweep()).messagesRequeued).toBeGreaterThanOrEqual(200);
        // Queued, and due when their job is (10 s a job); only the first jobs may have run.
        const planned = await db.query(
          `SELECT extract(epoch FROM next_attempt_at) * 1000 AS at FROM outbound_messages
            WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'queued' ORDER BY next_attempt_at`,
          [amaro.tenant.id, campaignId],
        );
        const times = planned.rows.map((r: { at: string }) => Number(r.at));
        expect(times.length).toBeGreaterThanOrEqual(180);
        expect(Math.min(...times)).toBeGreaterThanOrEqual(sweptAt - 1_000);
        expect(Math.max(...times)).toBeGreaterThan(sweptAt + 150_000);
        // Each new job carries that time as its rows' planned time: a batch waiting for slots then
        // does not write it again, believing the sweep about to take its rows for lost.
        const rowsAt = new Map(
          (
            await db.query(
              `SELECT id, extract(epoch FROM next_attempt_at) * 1000 AS at FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2`,
              [amaro.tenant.id, campaignId],
            )
          ).rows.map((r: { id: string; at: string }) => [r.id, Number(r.at)]),
        );
        const jobs = (await t.app.get<Queue>(getQueueToken(QueueName.Outbound)).getDelayed()).filter((j) =>
          (j.data as SendOutboundPayload).outboundIds.some((id) => rowsAt.has(id)),
        );
        expect(jobs.length).toBeGreaterThanOrEqual(10);
        for (const j of jobs) {
          const data = j.data as SendOutboundPayload;
          expect(Math.abs(data.plannedAt! - Math.min(...data.outboundIds.map((id) => rowsAt.get(id)!)))).toBeLessThanOrEqual(1);
        }
        // The next sweep takes none of them for lost again.
        await maintenance().sweep();
        const again = await db.query(
          `SELECT count(*)::int AS n FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'queued' AND next_attempt_at < now() - interval '2 minutes'`,
          [amaro.tenant.id, campaignId],
        );
        expect(again.rows[0].n).toBe(0);
      } finally {
        await db.query(`UPDATE campaigns SET status = 'cancelled' WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, campaignId]);
        await db.query(`UPDATE whatsapp_numbers SET mps_cap = 80 WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, amaro.number.id]);
        for (const d of directories) d.invalidate(amaro.tenant.id, amaro.number.id);
      }
    });

    it('finds the queued messages that may go: one-off ones and those of sending campaigns, by priority then age', async () => {
      // Campaign messages are not in the queue index (migration LeanerOutboundIndexes): they are found
      // through their campaign. A paused campaign's wait for its resume; other states never go. The
      // rows are planned in the next hour, so the worker's own minute sweep leaves them alone.
      const repo = t.app.get(OutboundMessageRepository);
      const campaign = async (status: string): Promise<string> => {
        const id = newId();
        await db.query(`INSERT INTO campaigns (tenant_id, id, title, number_id, body, status) VALUES ($1, $2, 'Coda', $3, 'x', $4)`, [
          amaro.tenant.id,
          id,
          amaro.number.id,
          status,
        ]);
        return id;
      };
      const [sending, paused] = [await campaign('sending'), await campaign('paused')];
      const row = async (campaignId: string | null, priority: number, minutesAhead: number, status = 'queued'): Promise<string> => {
        const id = newId();
        await db.query(
          `INSERT INTO outbound_messages (tenant_id, id, number_id, recipient, recipient_kind, kind, campaign_id, priority, status, next_attempt_at, created_at)
           VALUES ($1, $2, $3, '+393331234567', 'phone', $4, $5, $6, $7, now() + ($8 || ' minutes')::interval, now() + ($8 || ' minutes')::interval)`,
          [amaro.tenant.id, id, amaro.number.id, campaignId ? 'campaign' : 'editor_reply', campaignId, priority, status, minutesAhead],
        );
        return id;
      };
      const oneOffOld = await row(null, 0, 30);
      const campaignNew = await row(sending, 0, 40);
      const emergency = await row(sending, 10, 50);
      const oneOffNew = await row(null, 0, 45);
      const waiting = await row(paused, 0, 20);
      const sent = await row(sending, 0, 10, 'accepted');
      const mine = new Set([oneOffOld, campaignNew, emergency, oneOffNew, waiting, sent]);
      try {
        const listed = (await repo.listQueuedIds(amaro.tenant.id, amaro.number.id, 1000)).map((q) => q.id).filter((id) => mine.has(id));
        expect(listed).toEqual([emergency, oneOffOld, campaignNew, oneOffNew]);
        // Across comuni, so other test files' campaigns are in it too (a snapshot test leaves tens of
        // thousands of queued rows): a limit well above them, or this comune's rows fall past it.
        const ALL = 1_000_000;
        const due = (await repo.listDueQueuedUnscoped(new Date(Date.now() + 55 * 60_000), ALL)).filter((q) => mine.has(q.id));
        expect(due.map((q) => q.id)).toEqual([emergency, oneOffOld, campaignNew, oneOffNew]);
        expect(due.find((q) => q.id === emergency)).toMatchObject({
          tenantId: amaro.tenant.id,
          numberId: amaro.number.id,
          campaignId: sending,
          priority: 10,
        });
        // Only what is planned before the given time.
        expect((await repo.listDueQueuedUnscoped(new Date(Date.now() + 35 * 60_000), ALL)).filter((q) => mine.has(q.id)).map((q) => q.id)).toEqual([
          oneOffOld,
        ]);
      } finally {
        await db.query(`UPDATE outbound_messages SET status = 'cancelled' WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [
          amaro.tenant.id,
          [...mine],
        ]);
        await db.query(`UPDATE campaigns SET status = 'cancelled' WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [
          amaro.tenant.id,
          [sending, paused],
        ]);
      }
    });

    it('treats a send left in progress by a dead worker as an unknown outcome', async () => {
      const id = await outbound('sending', 2 * 60_000);
      await maintenance().sweep();
      expect(await statusOf(id)).toEqual({ status: 'unknown', error_action: 'unknown_outcome' });
    });

    it('drops receipts parked for a day for messages that never appeared', async () => {
      const parked = wamid();
      const fresh = wamid();
      await db.query(
        `INSERT INTO pending_receipts (tenant_id, provider_message_id, status, occurred_at, receipt, created_at)
         VALUES ($1, $2, 'sent', now(), '{}', now() - interval '2 days'), ($1, $3, 'sent', now(), '{}', now())`,
        [amaro.tenant.id, parked, fresh],
      );
      await maintenance().sweep();
      // Gone, whichever sweep dropped it (another test file's worker sweeps the whole deployment too,
      // so this sweep's own count may be 0); the receipt parked just now stays.
      const left = await db.query(`SELECT provider_message_id FROM pending_receipts WHERE tenant_id = $1 AND provider_message_id = ANY($2::text[])`, [
        amaro.tenant.id,
        [parked, fresh],
      ]);
      expect(left.rows).toEqual([{ provider_message_id: fresh }]);
    });
  });

  describe('retention', () => {
    it('purges contents and media past the comune’s retention, keeps the rows and recent contents', async () => {
      await db.query(`UPDATE tenants SET message_retention_days = 30 WHERE id = $1`, [amaro.tenant.id]);
      const contact = newId();
      await db.query(`INSERT INTO contacts (tenant_id, id, number_id, wa_id) VALUES ($1, $2, $3, $4)`, [
        amaro.tenant.id,
        contact,
        amaro.number.id,
        `39333${Date.now().toString().slice(-7)}`,
      ]);
      const insertInbound = async (agoDays: number) => {
        const id = newId();
        await db.query(
          `INSERT INTO inbound_messages (tenant_id, id, number_id, contact_id, wamid, type, body, content, sent_at, received_at, handled_at)
           VALUES ($1, $2, $3, $4, $5, 'text', 'testo del cittadino', '{"type":"text","body":"testo del cittadino"}', now(), now() - ($6 || ' days')::interval,
                   now() - ($6 || ' days')::interval)`,
          [amaro.tenant.id, id, amaro.number.id, contact, wamid(), agoDays],
        );
        return id;
      };
      const old = await insertInbound(40);
      const recent = await insertInbound(5);
      const oldOut = await outbound('read', 40 * DAY);
      const storage = t.app.get<MediaStorage>(MEDIA_STORAGE);
      const mediaId = newId<MediaFileId>();
      const key = `${amaro.tenant.id}/test/${mediaId}`;
      await storage.put(key, Buffer.from('jpeg bytes'));
      await db.query(
        `INSERT INTO media_files (tenant_id, id, number_id, provider_media_id, status, storage_key, created_at) VALUES ($1, $2, $3, $4, 'stored', $5, now() - interval '40 days')`,
        [amaro.tenant.id, mediaId, amaro.number.id, uniq(), key],
      );
      const oldEvent = (
        await db.query(
          `INSERT INTO webhook_events (provider_app_id, received_at, body, status) VALUES ($1, now() - interval '8 days', '\\x7b7d', 'processed') RETURNING id`,
          [app.id],
        )
      ).rows[0] as {
        id: string;
      };

      const report = await maintenance().retention();
      expect(report.inboundContents).toBeGreaterThanOrEqual(1);
      const inbound = async (id: string) =>
        (await db.query(`SELECT body, content, content_purged_at FROM inbound_messages WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, id]))
          .rows[0];
      expect(await inbound(old)).toMatchObject({ body: null, content: { type: 'text', purged: true }, content_purged_at: expect.any(Date) });
      expect(await inbound(recent)).toMatchObject({ body: 'testo del cittadino', content_purged_at: null });
      expect(
        (await db.query(`SELECT content, status FROM outbound_messages WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, oldOut])).rows[0],
      ).toEqual({ content: null, status: 'read' });
      expect(
        (await db.query(`SELECT status, storage_key FROM media_files WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, mediaId])).rows[0],
      ).toEqual({ status: 'purged', storage_key: null });
      expect(existsSync(join(t.config.media.storageDir, key))).toBe(false);
      expect((await db.query(`SELECT 1 FROM webhook_events WHERE id = $1`, [oldEvent.id])).rowCount).toBe(0);
    });

    it('purges media library files unused past retention, keeping those a live campaign or an active schedule still sends', async () => {
      await db.query(`UPDATE tenants SET message_retention_days = 30 WHERE id = $1`, [amaro.tenant.id]);
      const storage = t.app.get<MediaStorage>(MEDIA_STORAGE);
      const asset = async (name: string, createdDaysAgo: number, usedDaysAgo: number | null) => {
        const id = newId();
        const key = `${amaro.tenant.id}/library/${id}`;
        await storage.put(key, Buffer.from('%PDF-1.7'));
        await db.query(
          `INSERT INTO media_assets (tenant_id, id, kind, mime_type, filename, size_bytes, sha256, storage_key, created_at, last_used_at)
           VALUES ($1, $2, 'document', 'application/pdf', $3, 8, repeat('a', 64), $4, now() - ($5 || ' days')::interval,
                   CASE WHEN $6::int IS NULL THEN NULL ELSE now() - ($6 || ' days')::interval END)`,
          [amaro.tenant.id, id, name, key, createdDaysAgo, usedDaysAgo],
        );
        return { id, key };
      };
      const campaign = async (status: string, mediaId: string) =>
        db.query(`INSERT INTO campaigns (tenant_id, id, title, status, number_id, body, media) VALUES ($1, $2, 'c', $3, $4, 'x', $5)`, [
          amaro.tenant.id,
          newId(),
          status,
          amaro.number.id,
          { kind: 'document', mediaId },
        ]);
      const unused = await asset('vecchio.pdf', 60, null);
      const usedLongAgo = await asset('usato.pdf', 90, 40);
      const usedRecently = await asset('recente.pdf', 90, 5);
      const uploadedRecently = await asset('nuovo.pdf', 2, null);
      const draft = await asset('bozza.pdf', 60, null);
      await campaign('draft', draft.id);
      const scheduled = await asset('ricorrente.pdf', 60, 45);
      await db.query(`INSERT INTO campaign_schedules (tenant_id, id, name, cron, active, campaign) VALUES ($1, $2, 's', '0 10 * * 1', true, $3)`, [
        amaro.tenant.id,
        newId(),
        { title: 't', body: 'x', media: { kind: 'document', mediaId: scheduled.id } },
      ]);
      const sentLongAgo = await asset('inviato.pdf', 60, 40);
      await campaign('completed', sentLongAgo.id);

      const report = await maintenance().retention();
      expect(report.libraryFiles).toBe(3);
      const left = await db.query(`SELECT filename FROM media_assets WHERE tenant_id = $1 ORDER BY filename`, [amaro.tenant.id]);
      expect(left.rows.map((r: { filename: string }) => r.filename)).toEqual(['bozza.pdf', 'nuovo.pdf', 'recente.pdf', 'ricorrente.pdf']);
      for (const gone of [unused, usedLongAgo, sentLongAgo]) expect(existsSync(join(t.config.media.storageDir, gone.key))).toBe(false);
      for (const kept of [usedRecently, uploadedRecently, draft, scheduled]) expect(existsSync(join(t.config.media.storageDir, kept.key))).toBe(true);
    });
  });
});
