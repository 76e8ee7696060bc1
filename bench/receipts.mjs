// Receipt application: 50,000 accepted outbound messages get their sent, delivered and read
// receipts (10 % duplicated, shuffled), (a) as signed webhooks through the real api intake and the
// real worker, and (b) straight into the compiled ReceiptsService.apply in batches of 500 StatusEvents.
// Each path must leave every message 'read' with the earliest timestamps generated.
// Run: node bench/receipts.mjs  (see bench/README.md)
import 'reflect-metadata';
import { join } from 'node:path';
import { Pool } from 'undici';
import {
  DEFAULTS,
  DIST,
  FIXTURE,
  benchEnv,
  clearRedisPrefix,
  connectDb,
  counterDelta,
  cpuSampler,
  dbName,
  dbCounters,
  fmt,
  insertFixtures,
  int,
  logSummary,
  machineInfo,
  parseFlags,
  pct,
  prng,
  resetDatabase,
  shuffle,
  sign,
  sleep,
  startProcess,
  table,
  waitForHttp,
  waitForQuiet,
} from './lib/harness.mjs';

const USAGE = `node bench/receipts.mjs [options]

  --messages N           outbound messages in status 'accepted' (default 50000)
  --duplicates F         share of the 3 x N receipts sent twice (default 0.1)
  --per-body MIN-MAX     statuses per webhook body, path (a) (default 1-20)
  --http-connections N   concurrent POSTs to the api, path (a) (default 32)
  --batch N              StatusEvents per ReceiptsService.apply call, path (b) (default 500)
  --direct-concurrency L apply calls in flight at once, path (b); a comma list runs it once per
                         value, e.g. 1,4 (the worker runs 4 webhook jobs at once) (default 1)
  --path a|b|both        which paths to run (default both)
  --timeout S            give up on path (a) after S seconds (default 900)
  --port N               api port (default ${DEFAULTS.port})
  --database-url URL     bench database, dropped and recreated (default ${DEFAULTS.databaseUrl})
  --redis-prefix P       Redis key prefix, cleared before and after (default ${DEFAULTS.redisPrefix})
  --seed N               PRNG seed of receipts, order and bodies (default 1)
  --no-wait-quiet        do not wait for the machine to be quiet before each measured path
  --quiet-timeout S      how long to wait for it at most (default 300)
`;

/** The dispatch ceiling measured in the brief (8,500 msg/s) times three receipts per message. */
const TARGET_RECEIPTS_PER_S = 25_500;

const flags = parseFlags(
  {
    messages: { type: 'string', default: '50000' },
    duplicates: { type: 'string', default: '0.1' },
    'per-body': { type: 'string', default: '1-20' },
    'http-connections': { type: 'string', default: '32' },
    batch: { type: 'string', default: '500' },
    'direct-concurrency': { type: 'string', default: '1' },
    path: { type: 'string', default: 'both' },
    timeout: { type: 'string', default: '900' },
    port: { type: 'string', default: String(DEFAULTS.port) },
    'database-url': { type: 'string', default: DEFAULTS.databaseUrl },
    'redis-prefix': { type: 'string', default: DEFAULTS.redisPrefix },
    seed: { type: 'string', default: '1' },
    'no-wait-quiet': { type: 'boolean', default: false },
    'quiet-timeout': { type: 'string', default: '300' },
  },
  USAGE,
);
const [perBodyMin, perBodyMax] = flags['per-body'].split('-').map(Number);
const opts = {
  messages: int(flags.messages, 'messages'),
  duplicates: Number(flags.duplicates),
  perBodyMin,
  perBodyMax: perBodyMax ?? perBodyMin,
  httpConnections: int(flags['http-connections'], 'http-connections'),
  batch: int(flags.batch, 'batch'),
  directConcurrency: flags['direct-concurrency'].split(',').map((v) => int(v, 'direct-concurrency')),
  path: flags.path,
  timeoutS: int(flags.timeout, 'timeout'),
  port: int(flags.port, 'port'),
  seed: int(flags.seed, 'seed'),
  waitQuiet: !flags['no-wait-quiet'],
  quietTimeoutS: int(flags['quiet-timeout'], 'quiet-timeout'),
};
if (!['a', 'b', 'both'].includes(opts.path)) throw new Error('--path must be a, b or both');
if (!(opts.perBodyMin >= 1 && opts.perBodyMax >= opts.perBodyMin)) throw new Error('--per-body must be MIN-MAX with 1 <= MIN <= MAX');

const log = (m) => process.stderr.write(`[receipts] ${m}\n`);

/** N accepted messages of the bench number, as the dispatcher leaves them after Meta's 200. */
async function insertMessages(db, fx, n) {
  await db.query(
    `INSERT INTO outbound_messages (tenant_id, id, number_id, recipient, recipient_kind, kind, category, status,
                                    provider_message_id, attempts, content, created_at, updated_at, accepted_at)
     SELECT $1, gen_random_uuid(), $2, '39333' || lpad(i::text, 7, '0'), 'phone', 'campaign', 'utility', 'accepted',
            'wamid.HBgM' || upper(md5('araldo-bench-' || i)), 1, '{"type":"text","text":{"body":"Avviso"}}'::jsonb,
            now() - interval '3 hours', now() - interval '3 hours', now() - interval '3 hours'
       FROM generate_series(1, $3) AS i`,
    [fx.tenantId, fx.numberId, n],
  );
  await db.query('ANALYZE outbound_messages');
  const rows = await db.query(`SELECT id, provider_message_id AS pmid FROM outbound_messages WHERE tenant_id = $1 ORDER BY recipient`, [fx.tenantId]);
  return rows.rows;
}

/** Puts the same messages back to 'accepted' in a fresh table (no dead tuples left by the previous path). */
async function resetMessages(db, fx, messages) {
  await db.query('TRUNCATE outbound_messages, pending_receipts');
  await db.query(
    `INSERT INTO outbound_messages (tenant_id, id, number_id, recipient, recipient_kind, kind, category, status,
                                    provider_message_id, attempts, content, created_at, updated_at, accepted_at)
     SELECT $1, m.id, $2, '39333' || lpad(m.n::text, 7, '0'), 'phone', 'campaign', 'utility', 'accepted', m.pmid, 1,
            '{"type":"text","text":{"body":"Avviso"}}'::jsonb, now() - interval '3 hours', now() - interval '3 hours', now() - interval '3 hours'
       FROM unnest($3::uuid[], $4::text[]) WITH ORDINALITY AS m(id, pmid, n)`,
    [fx.tenantId, fx.numberId, messages.map((m) => m.id), messages.map((m) => m.pmid)],
  );
  await db.query('VACUUM ANALYZE outbound_messages');
}

/**
 * Three receipts per message with increasing timestamps (Unix seconds, as Meta sends them), then a
 * share of them again (a redelivery: half identical, half with a later timestamp, so the earliest
 * must win), all shuffled. Returns the receipts and each message's expected timestamps.
 */
function generateReceipts(messages, rand) {
  const t0 = Math.floor(Date.now() / 1000) - 2 * 3600;
  const receipts = [];
  const expected = new Map();
  messages.forEach((m, k) => {
    const sent = t0 + Math.floor(rand() * 1800);
    const delivered = sent + 1 + Math.floor(rand() * 30);
    const read = delivered + 1 + Math.floor(rand() * 1800);
    expected.set(m.id, { sent, delivered, read });
    const recipient = `39333${String(k + 1).padStart(7, '0')}`;
    for (const [status, ts] of [
      ['sent', sent],
      ['delivered', delivered],
      ['read', read],
    ]) {
      receipts.push({ id: m.id, pmid: m.pmid, recipient, status, ts });
    }
  });
  const originals = receipts.length;
  const dupes = Math.round(originals * opts.duplicates);
  for (let d = 0; d < dupes; d++) {
    const r = receipts[Math.floor(rand() * originals)];
    receipts.push({ ...r, ts: rand() < 0.5 ? r.ts : r.ts + 1 + Math.floor(rand() * 60) });
  }
  shuffle(receipts, rand);
  return { receipts, originals, duplicates: dupes, expected };
}

/** A status in Meta's shape; biz_opaque_callback_data is our message id, as the sending service sets it. */
function statusJson(r) {
  return {
    id: r.pmid,
    status: r.status,
    timestamp: String(r.ts),
    recipient_id: r.recipient,
    biz_opaque_callback_data: r.id,
    ...(r.status === 'sent' ? { conversation: { id: r.pmid.slice(10, 42).toLowerCase(), origin: { type: 'utility' } } } : {}),
    pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' },
  };
}

function buildBodies(receipts, appSecret, rand) {
  const bodies = [];
  for (let i = 0; i < receipts.length;) {
    const k = opts.perBodyMin + Math.floor(rand() * (opts.perBodyMax - opts.perBodyMin + 1));
    const chunk = receipts.slice(i, i + k);
    i += k;
    const body = Buffer.from(
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: FIXTURE.wabaId,
            changes: [
              {
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: FIXTURE.displayNumber.slice(1), phone_number_id: FIXTURE.phoneNumberId },
                  statuses: chunk.map(statusJson),
                },
                field: 'messages',
              },
            ],
          },
        ],
      }),
    );
    bodies.push({ body, signature: sign(appSecret, body), statuses: chunk.length });
  }
  return bodies;
}

/** Every message 'read', with sent_at, delivered_at and read_at the earliest timestamps generated. */
async function verify(db, fx, expected) {
  const rows = (
    await db.query(
      `SELECT id, status, extract(epoch FROM sent_at)::bigint AS s, extract(epoch FROM delivered_at)::bigint AS d,
              extract(epoch FROM read_at)::bigint AS r, failed_at IS NOT NULL AS failed
         FROM outbound_messages WHERE tenant_id = $1`,
      [fx.tenantId],
    )
  ).rows;
  const byStatus = {};
  let wrongTimes = 0;
  let outOfOrder = 0;
  let missing = expected.size - rows.length;
  const examples = [];
  for (const row of rows) {
    byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
    const e = expected.get(row.id);
    if (!e) {
      missing++;
      continue;
    }
    const [s, d, r] = [row.s, row.d, row.r].map((v) => (v === null ? null : Number(v)));
    if (s !== e.sent || d !== e.delivered || r !== e.read || row.failed) {
      wrongTimes++;
      if (examples.length < 3) examples.push({ id: row.id, status: row.status, got: { s, d, r }, want: e });
    }
    if (!(s !== null && d !== null && r !== null && s <= d && d <= r)) outOfOrder++;
  }
  const pendingReceipts = Number((await db.query(`SELECT count(*) AS n FROM pending_receipts WHERE tenant_id = $1`, [fx.tenantId])).rows[0].n);
  const ok = missing === 0 && byStatus.read === expected.size && wrongTimes === 0 && outOfOrder === 0 && pendingReceipts === 0;
  return { ok, byStatus, wrongTimestamps: wrongTimes, notSentLeDeliveredLeRead: outOfOrder, missing, pendingReceipts, examples };
}

/** Path (a): POST every body to the api while the worker processes them; done when all rows are read and all events processed. */
async function runThroughApi(db, env, fx, gen, rand) {
  const bodies = buildBodies(gen.receipts, fx.appSecret, rand);
  const sizes = bodies.map((b) => b.body.length);
  log(
    `path (a): ${bodies.length} bodies, ${opts.perBodyMin}-${opts.perBodyMax} statuses each, ${Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length)} bytes mean`,
  );
  await clearRedisPrefix(env.REDIS_KEY_PREFIX);
  const api = startProcess('api', 'apps/api/src/main.js', env);
  const worker = startProcess('worker', 'apps/worker/src/main.js', env);
  const base = `http://127.0.0.1:${opts.port}`;
  const path = `/webhooks/whatsapp/${FIXTURE.appId}`;
  try {
    await waitForHttp(`${base}${path}?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(fx.verifyToken)}&hub.challenge=1`, api);
    await sleep(2000); // the worker's queues are connected
    const quiet = opts.waitQuiet ? await waitForQuiet({ timeoutMs: opts.quietTimeoutS * 1000, log: (m) => log(m) }) : null;
    const client = new Pool(base, { connections: opts.httpConnections, pipelining: 1 });
    const countersBefore = await dbCounters(db);
    const cpu = cpuSampler([api, worker], dbName(env.DATABASE_URL));
    const t0 = performance.now();
    let next = 0;
    let non2xx = 0;
    let postedAt = 0;
    const poster = (async () => {
      await Promise.all(
        Array.from({ length: opts.httpConnections }, async () => {
          while (next < bodies.length) {
            const b = bodies[next++];
            const res = await client.request({
              path,
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-hub-signature-256': b.signature },
              body: b.body,
            });
            await res.body.dump();
            if (res.statusCode !== 200) non2xx++;
          }
        }),
      );
      postedAt = performance.now();
    })();
    let allReadAt = 0;
    let doneAt = 0;
    let progress = { read: 0, pending: 0 };
    const deadline = t0 + opts.timeoutS * 1000;
    let lastLog = 0;
    while (performance.now() < deadline) {
      await sleep(200);
      const r = await db.query(
        `SELECT (SELECT count(*) FROM outbound_messages WHERE tenant_id = $1 AND status = 'read')::int AS read,
                (SELECT count(*) FROM webhook_events WHERE status = 'pending')::int AS pending,
                (SELECT count(*) FROM webhook_events)::int AS events`,
        [fx.tenantId],
      );
      progress = r.rows[0];
      const now = performance.now();
      if (!allReadAt && progress.read === gen.expected.size) allReadAt = now;
      if (postedAt && progress.events >= bodies.length && progress.pending === 0 && progress.read === gen.expected.size) {
        doneAt = now;
        break;
      }
      if (now - lastLog > 10_000) {
        lastLog = now;
        log(
          `  ${((now - t0) / 1000).toFixed(0)} s: posted ${Math.min(next, bodies.length)}/${bodies.length}, events stored ${progress.events}, pending ${progress.pending}, read ${progress.read}`,
        );
      }
    }
    await poster;
    await client.close();
    const usage = cpu.stop();
    const end = doneAt || performance.now();
    const events = Object.fromEntries(
      (await db.query(`SELECT status, count(*)::int AS n FROM webhook_events GROUP BY status`)).rows.map((x) => [x.status, x.n]),
    );
    const retried = Number((await db.query(`SELECT count(*) AS n FROM webhook_events WHERE attempts > 1 OR last_error IS NOT NULL`)).rows[0].n);
    const seconds = (end - t0) / 1000;
    const result = {
      completed: doneAt > 0,
      bodies: bodies.length,
      statusesPerBody: gen.receipts.length / bodies.length,
      meanBodyBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
      non2xx,
      postSeconds: (postedAt - t0) / 1000,
      allReadSeconds: allReadAt ? (allReadAt - t0) / 1000 : null,
      totalSeconds: seconds,
      receiptsPerSecond: gen.receipts.length / seconds,
      webhookEvents: events,
      eventsRetried: retried,
      lastProgress: progress,
      cpu: usage,
      quietBefore: quiet,
    };
    await api.stop();
    await worker.stop();
    result.apiLog = { path: api.logPath, ...logSummary(api.logPath) };
    result.workerLog = { path: worker.logPath, ...logSummary(worker.logPath) };
    // Includes this script's progress polls (about 5 a second).
    result.db = counterDelta(countersBefore, await dbCounters(db));
    result.verification = await verify(db, fx, gen.expected);
    return result;
  } finally {
    await api.stop();
    await worker.stop();
    await clearRedisPrefix(env.REDIS_KEY_PREFIX);
  }
}

/**
 * Path (b): the worker's module in this process (recurring jobs off, its own empty Redis prefix so
 * its processors find no jobs) and ReceiptsService.apply called directly with parsed StatusEvents.
 */
async function runDirect(db, env, fx, gen, concurrency) {
  const { NestFactory } = await import('@nestjs/core');
  const { loadAppConfig } = await import(join(DIST, 'libs/common/src/index.js'));
  const { WorkerModule } = await import(join(DIST, 'apps/worker/src/worker.module.js'));
  const { ReceiptsService } = await import(join(DIST, 'libs/domain/src/index.js'));
  const directEnv = { ...env, REDIS_KEY_PREFIX: `${env.REDIS_KEY_PREFIX.slice(0, -1)}-direct}` };
  await clearRedisPrefix(directEnv.REDIS_KEY_PREFIX);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(loadAppConfig(directEnv), { scheduleRecurring: false }), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  let closed = false;
  try {
    const receipts = app.get(ReceiptsService);
    const events = gen.receipts.map((r) => ({
      kind: 'status',
      wabaId: FIXTURE.wabaId,
      phoneNumberId: FIXTURE.phoneNumberId,
      providerMessageId: r.pmid,
      status: r.status,
      timestamp: new Date(r.ts * 1000),
      recipientId: r.recipient,
      recipientUserId: null,
      correlationId: r.id,
      pricing: { billable: true, model: 'PMP', type: 'regular', category: 'utility' },
      errors: [],
    }));
    const batches = [];
    for (let i = 0; i < events.length; i += opts.batch) batches.push(events.slice(i, i + opts.batch));
    // Warm-up (JIT, pool connections) on a message of its own, deleted before the measured run.
    const warm = (
      await db.query(
        `INSERT INTO outbound_messages (tenant_id, id, number_id, recipient, recipient_kind, kind, status, provider_message_id, accepted_at)
         VALUES ($1, gen_random_uuid(), $2, '390000000000', 'phone', 'test', 'accepted', 'wamid.BENCH-WARMUP', now()) RETURNING id`,
        [fx.tenantId, fx.numberId],
      )
    ).rows[0].id;
    for (let i = 0; i < 20; i++) {
      const e = events.slice(0, opts.batch).map((x) => ({ ...x, providerMessageId: 'wamid.BENCH-WARMUP', correlationId: warm }));
      await receipts.apply(fx.tenantId, e);
    }
    await db.query(`DELETE FROM outbound_messages WHERE tenant_id = $1 AND id = $2`, [fx.tenantId, warm]);
    const quiet = opts.waitQuiet ? await waitForQuiet({ timeoutMs: opts.quietTimeoutS * 1000, log: (m) => log(m) }) : null;
    const countersBefore = await dbCounters(db);
    const cpu = cpuSampler([], dbName(env.DATABASE_URL));
    const t0 = performance.now();
    let next = 0;
    let matched = 0;
    let parked = 0;
    let deadlocks = 0;
    const callMs = [];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < batches.length) {
          const b = batches[next++];
          const c0 = performance.now();
          let out;
          for (;;) {
            try {
              out = await receipts.apply(fx.tenantId, b);
              break;
            } catch (err) {
              // Concurrent batches lock the same messages in no fixed order; the worker would retry
              // the job (apply is idempotent), and so does this loop, counting them.
              if (!/deadlock/i.test(String(err?.message))) throw err;
              deadlocks++;
            }
          }
          callMs.push(performance.now() - c0);
          matched += out.matched;
          parked += out.parked;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const usage = cpu.stop();
    callMs.sort((a, b) => a - b);
    const q = (p) => Math.round(callMs[Math.min(callMs.length - 1, Math.floor(p * callMs.length))] * 10) / 10;
    await app.close();
    closed = true;
    return {
      db: counterDelta(countersBefore, await dbCounters(db)),
      batches: batches.length,
      batchSize: opts.batch,
      concurrency,
      totalSeconds: seconds,
      receiptsPerSecond: events.length / seconds,
      applyCallMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: Math.round(callMs[callMs.length - 1]) },
      matchedUpdates: matched,
      parked,
      deadlocksRetried: deadlocks,
      cpu: usage,
      quietBefore: quiet,
      verification: await verify(db, fx, gen.expected),
    };
  } finally {
    if (!closed) await app.close();
    await clearRedisPrefix(directEnv.REDIS_KEY_PREFIX);
  }
}

async function main() {
  const machine = machineInfo();
  const env = benchEnv({ databaseUrl: flags['database-url'], redisPrefix: flags['redis-prefix'], port: opts.port });
  log(`load average before: ${machine.loadavg}; resetting ${flags['database-url']}`);
  await resetDatabase(env);
  const db = await connectDb(env);
  const fx = await insertFixtures(db, env);
  const t = performance.now();
  const messages = await insertMessages(db, fx, opts.messages);
  log(`inserted ${messages.length} accepted messages in ${Math.round(performance.now() - t)} ms`);
  const rand = prng(opts.seed);
  const gen = generateReceipts(messages, rand);
  log(`${gen.receipts.length} receipts: ${gen.originals} + ${gen.duplicates} duplicates, shuffled`);

  const results = {
    bench: 'receipts',
    machine,
    options: {
      ...opts,
      batchMax: Number(env.WEBHOOK_BATCH_MAX ?? 200),
      batchWaitMs: Number(env.WEBHOOK_BATCH_WAIT_MS ?? 4),
      dbPool: Number(env.DATABASE_POOL_SIZE),
    },
    receipts: { total: gen.receipts.length, originals: gen.originals, duplicates: gen.duplicates, messages: messages.length },
    target: TARGET_RECEIPTS_PER_S,
  };
  try {
    if (opts.path !== 'b') {
      log('path (a): api intake + worker');
      results.throughApi = await runThroughApi(db, env, fx, gen, rand);
      results.throughApi.ratioToTarget = results.throughApi.receiptsPerSecond / TARGET_RECEIPTS_PER_S;
      if (opts.path === 'both') await resetMessages(db, fx, messages);
    }
    if (opts.path !== 'a') {
      results.direct = [];
      for (const [i, concurrency] of opts.directConcurrency.entries()) {
        if (i > 0) await resetMessages(db, fx, messages);
        log(`path (b): ReceiptsService.apply, batches of ${opts.batch}, concurrency ${concurrency}`);
        const run = await runDirect(db, env, fx, gen, concurrency);
        run.ratioToTarget = run.receiptsPerSecond / TARGET_RECEIPTS_PER_S;
        results.direct.push(run);
      }
    }
  } finally {
    await db.end();
  }

  const out = [
    '',
    `receipts, ${machine.date}, ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}`,
  ];
  out.push(
    `${fmt(messages.length)} messages 'accepted'; ${fmt(gen.receipts.length)} receipts (${fmt(gen.originals)} sent/delivered/read + ${fmt(gen.duplicates)} duplicates), shuffled`,
    '',
  );
  const cpuLine = (c) =>
    Object.entries(c.cores)
      .filter(([k]) => k !== 'machine')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const verifyLine = (v) => (v.ok ? 'all read, earliest timestamps, none parked' : `FAILED ${JSON.stringify({ ...v, examples: undefined })}`);
  if (results.throughApi) {
    const a = results.throughApi;
    out.push(
      table(`(a) signed webhooks -> api intake -> worker (${fmt(a.bodies)} bodies, ${opts.perBodyMin}-${opts.perBodyMax} statuses each)`, [
        ['completed', a.completed ? 'yes' : `NO (timeout ${opts.timeoutS} s)`],
        ['receipts/s (first POST to all processed)', fmt(a.receiptsPerSecond, 0)],
        ['all bodies acknowledged after (s)', fmt(a.postSeconds, 1)],
        ['all messages read after (s)', fmt(a.allReadSeconds, 1)],
        ['all webhook events processed after (s)', fmt(a.totalSeconds, 1)],
        ['non-2xx', a.non2xx],
        ['webhook_events by status', JSON.stringify(a.webhookEvents)],
        ['events retried (attempts > 1)', a.eventsRetried],
        ['DB commits / rollbacks / deadlocks', `${fmt(a.db.commits)} / ${fmt(a.db.rollbacks)} / ${fmt(a.db.deadlocks)}`],
        ['outbound row updates (of which HOT)', `${fmt(a.db.outboundUpdated)} (${fmt(a.db.outboundHotUpdated)})`],
        ['worker warnings', JSON.stringify(a.workerLog.counts)],
        ['final state', verifyLine(a.verification)],
        ['CPU cores busy', cpuLine(a.cpu)],
        [`ratio to ${fmt(TARGET_RECEIPTS_PER_S)} receipts/s`, pct(a.ratioToTarget)],
      ]),
      '',
    );
  }
  for (const b of results.direct ?? []) {
    out.push(
      table(`(b) ReceiptsService.apply(tenantId, events), ${fmt(b.batches)} batches of ${b.batchSize}, concurrency ${b.concurrency}`, [
        ['receipts/s', fmt(b.receiptsPerSecond, 0)],
        ['total (s)', fmt(b.totalSeconds, 1)],
        ['apply() per batch p50 / p90 / p99 / max (ms)', `${b.applyCallMs.p50} / ${b.applyCallMs.p90} / ${b.applyCallMs.p99} / ${b.applyCallMs.max}`],
        ['messages updated (sum over batches) / parked', `${fmt(b.matchedUpdates)} / ${fmt(b.parked)}`],
        ['deadlocks (batch retried)', fmt(b.deadlocksRetried)],
        ['DB commits / rollbacks / deadlocks', `${fmt(b.db.commits)} / ${fmt(b.db.rollbacks)} / ${fmt(b.db.deadlocks)}`],
        ['outbound row updates (of which HOT)', `${fmt(b.db.outboundUpdated)} (${fmt(b.db.outboundHotUpdated)})`],
        ['final state', verifyLine(b.verification)],
        ['CPU cores busy', cpuLine(b.cpu)],
        [`ratio to ${fmt(TARGET_RECEIPTS_PER_S)} receipts/s`, pct(b.ratioToTarget)],
      ]),
      '',
    );
  }
  out.push(`JSON ${JSON.stringify(results)}`, '');
  process.stdout.write(out.join('\n'));
  if ((results.throughApi && !results.throughApi.verification.ok) || (results.direct ?? []).some((b) => !b.verification.ok)) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
