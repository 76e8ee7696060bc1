// Campaign fan-out: a comune with 100,000 active subscribers (each with a contact on its number);
// CampaignsService.start(), from the compiled CliModule in this process, snapshots the audience as
// outbound rows (chunks of INSERT ... SELECT) and adds the paced send jobs to Redis. Timed from the
// call to the moment the last chunk's jobs are in Redis (all rows materialised, all jobs added), and
// to its return (after the partition's ANALYZE and the completion check), beside a plain COPY of the
// same rows into a scratch copy of outbound_messages (same columns, defaults, checks and indexes).
// Run: node bench/campaign-fanout.mjs  (see bench/README.md)
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  DEFAULTS,
  DIST,
  benchEnv,
  clearRedisPrefix,
  connectDb,
  counterDelta,
  cpuSampler,
  dbCounters,
  dbName,
  fmt,
  int,
  machineInfo,
  parseFlags,
  pct,
  resetDatabase,
  table,
  waitForQuiet,
} from './lib/harness.mjs';
import { insertComuni, seedSubscribers } from './lib/campaigns.mjs';

const USAGE = `node bench/campaign-fanout.mjs [options]

  --subscribers N      active subscribers of the comune, each with a contact (default 100000)
  --runs N             measured start() calls, each on a new campaign (default 3)
  --mps-cap N          the number's messages-per-second cap (sets the job size and delays) (default 80)
  --database-url URL   bench database, dropped and recreated (default ${DEFAULTS.databaseUrl})
  --redis-prefix P     Redis key prefix, cleared before and after (default {araldo-bench-fanout})
  --no-wait-quiet      do not wait for the machine to be quiet before each measured run
  --quiet-timeout S    how long to wait for it at most (default 120)
  --timeline           print each timed call's start and end (ms after send) for every run
`;

const TARGET_ROWS_PER_S = 120_000;
const TARGET_COPY_RATIO = 1.3;

const flags = parseFlags(
  {
    subscribers: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    'mps-cap': { type: 'string', default: '80' },
    'database-url': { type: 'string', default: DEFAULTS.databaseUrl },
    'redis-prefix': { type: 'string', default: '{araldo-bench-fanout}' },
    'no-wait-quiet': { type: 'boolean', default: false },
    'quiet-timeout': { type: 'string', default: '120' },
    timeline: { type: 'boolean', default: false },
  },
  USAGE,
);
const opts = {
  subscribers: int(flags.subscribers, 'subscribers'),
  runs: int(flags.runs, 'runs'),
  mpsCap: int(flags['mps-cap'], 'mps-cap'),
  waitQuiet: !flags['no-wait-quiet'],
  quietTimeoutS: int(flags['quiet-timeout'], 'quiet-timeout'),
};
const log = (m) => process.stderr.write(`[fanout] ${m}\n`);

/** Jobs of the outbound queue waiting in Redis (delayed, waiting, active, paused). */
async function queuedJobs(redis, prefix) {
  const q = `${prefix}:outbound`;
  const [delayed, wait, active, paused] = await Promise.all([
    redis.zcard(`${q}:delayed`),
    redis.llen(`${q}:wait`),
    redis.llen(`${q}:active`),
    redis.llen(`${q}:paused`),
  ]);
  return delayed + wait + active + paused;
}

/** Wraps an instance's async method to add to `timings[name]` the wall time during which any of its calls runs. */
/** Every timed call of the current run, for --timeline: [name, start, end] in performance.now(). */
const calls = [];

function timeMethod(obj, method, timings, name) {
  const orig = obj[method].bind(obj);
  // The time during which at least one call is in flight: a snapshot chunk's two pieces run at
  // once (ADR 0009), and adding their times up would count those milliseconds twice.
  let active = 0;
  let since = 0;
  obj[method] = async (...args) => {
    const start = performance.now();
    if (active++ === 0) since = start;
    try {
      return await orig(...args);
    } finally {
      if (--active === 0) timings[name] = (timings[name] ?? 0) + (performance.now() - since);
      calls.push([name, start, performance.now()]);
    }
  };
}

async function main() {
  const machine = machineInfo();
  const env = benchEnv({ databaseUrl: flags['database-url'], redisPrefix: flags['redis-prefix'], port: DEFAULTS.port });
  log(`load average before: ${machine.loadavg}; resetting ${flags['database-url']}`);
  await resetDatabase(env);
  const db = await connectDb(env);
  const fx = await insertComuni(db, env, 1, { mpsCap: opts.mpsCap });
  const c = fx.comuni[0];
  let t = performance.now();
  await seedSubscribers(db, c, opts.subscribers, { phoneBase: 3_200_000_000 });
  await db.query('VACUUM ANALYZE subscribers, contacts');
  log(`seeded ${fmt(opts.subscribers)} subscribers and contacts in ${Math.round(performance.now() - t)} ms`);
  // The scratch copy: same columns, defaults, checks and indexes (outbound_messages is partitioned by
  // tenant; one comune's rows all land in one partition, so a plain table with the parent's indexes).
  await db.query(`CREATE TABLE bench_outbound_copy (LIKE outbound_messages INCLUDING ALL)`);
  const copyIndexes = Number((await db.query(`SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'bench_outbound_copy'`)).rows[0].n);
  const partIndexes = Number(
    (
      await db.query(
        `SELECT count(*) AS n FROM pg_indexes WHERE tablename = (SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'outbound_messages'::regclass LIMIT 1)`,
      )
    ).rows[0].n,
  );

  const { NestFactory } = await import('@nestjs/core');
  const { loadAppConfig } = await import(join(DIST, 'libs/common/src/index.js'));
  const { CliModule } = await import(join(DIST, 'apps/cli/src/cli.module.js'));
  const { CampaignsService, SendPlanner } = await import(join(DIST, 'libs/domain/src/index.js'));
  const { CampaignRepository } = await import(join(DIST, 'libs/database/src/index.js'));
  const { QueueProducer } = await import(join(DIST, 'libs/queue/src/index.js'));
  await clearRedisPrefix(env.REDIS_KEY_PREFIX);
  // The CLI's module: the domain services and the queue producer, no processors, so the jobs stay in Redis.
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(loadAppConfig(env)), { logger: ['error', 'warn'], abortOnError: false });
  const redis = new Redis(process.env.BENCH_REDIS_URL ?? DEFAULTS.redisUrl);
  const dir = join(tmpdir(), 'araldo-bench-copy');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  const runs = [];
  try {
    const service = app.get(CampaignsService);
    const timings = {};
    const repo = app.get(CampaignRepository);
    timeMethod(repo, 'countAudience', timings, 'countAudience (estimate)');
    timeMethod(repo, 'attachContacts', timings, 'attachContacts (only for rows without a contact)');
    timeMethod(repo, 'materialise', timings, 'materialise (INSERT ... SELECT)');
    timeMethod(repo, 'countAudienceAfter', timings, 'countAudienceAfter (what is left, once)');
    timeMethod(repo, 'audienceSubscriberAt', timings, 'audienceSubscriberAt (where a chunk is cut in two)');
    timeMethod(repo, 'analyzeOutbound', timings, 'ANALYZE of the partition (after the last chunk is queued)');
    timeMethod(repo, 'lockForSnapshot', timings, 'lockForSnapshot (each chunk, and a second piece before its commit)');
    timeMethod(repo, 'snapshotLastSubscriber', timings, 'snapshotLastSubscriber (where the next chunk starts)');
    timeMethod(repo, 'addSnapshotChunk', timings, "addSnapshotChunk (the campaign's figures)");
    // The snapshot's chunks go through enqueueRun (enqueue: the general path, should any call it).
    timeMethod(app.get(SendPlanner), 'enqueueRun', timings, 'SendPlanner.enqueueRun (plan + addBulk)');
    timeMethod(app.get(SendPlanner), 'enqueue', timings, 'SendPlanner.enqueue (plan + addBulk)');
    // When the first chunk's jobs are in Redis: from then on a worker could be sending.
    let firstQueuedAt = null;
    let lastQueuedAt = null;
    const planner = app.get(SendPlanner);
    for (const method of ['enqueueRun', 'enqueue']) {
      const original = planner[method].bind(planner);
      planner[method] = async (...args) => {
        const n = await original(...args);
        firstQueuedAt ??= performance.now();
        lastQueuedAt = performance.now();
        return n;
      };
    }
    timeMethod(app.get(QueueProducer), 'sendBatches', timings, 'QueueProducer.sendBatches (addBulk, inside enqueue)');

    for (let r = 0; r <= opts.runs; r++) {
      const warmup = r === 0;
      // A fresh start for each run: previous rows and jobs gone, table vacuumed.
      await db.query(`DELETE FROM outbound_messages WHERE tenant_id = $1`, [c.tenantId]);
      await db.query('VACUUM ANALYZE outbound_messages');
      await clearRedisPrefix(env.REDIS_KEY_PREFIX);
      for (const k of Object.keys(timings)) delete timings[k];
      calls.length = 0;
      firstQueuedAt = null;
      lastQueuedAt = null;
      const id = randomUUID();
      await db.query(
        `INSERT INTO campaigns (tenant_id, id, title, status, priority, number_id, body, variables, audience, category, scheduled_at, requested_action)
         VALUES ($1, $2, $3, 'scheduled', 'normal', $4, 'Gentile {{nome}}, via Roma chiusa domani.', '{}', '{}', 'utility', now(), 'send')`,
        [c.tenantId, id, `Fan-out ${r}`, c.numberId],
      );
      const quiet = opts.waitQuiet && !warmup ? await waitForQuiet({ timeoutMs: opts.quietTimeoutS * 1000, log }) : null;
      const before = await dbCounters(db);
      const cpu = cpuSampler([], dbName(env.DATABASE_URL));
      const t0 = performance.now();
      await service.start(c.tenantId, id);
      const startMs = performance.now() - t0;
      // The figure the target is about: every row materialised and its job in Redis. start() then
      // refreshes the partition's statistics and checks for completion before it returns.
      const queuedMs = lastQueuedAt === null ? startMs : lastQueuedAt - t0;
      const usage = cpu.stop();
      if (flags.timeline) {
        const lines = [...calls]
          .sort((a, b) => a[1] - b[1])
          .map(([name, s, e]) => `${fmt(s - t0).padStart(6)} -> ${fmt(e - t0).padStart(6)}  ${name}`);
        log(`${warmup ? 'warm-up' : `run ${r}`} timeline (ms after send):\n${lines.join('\n')}`);
      }
      const counters = counterDelta(before, await dbCounters(db));
      const rows = Number(
        (
          await db.query(`SELECT count(*) AS n FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'queued'`, [
            c.tenantId,
            id,
          ])
        ).rows[0].n,
      );
      const jobs = await queuedJobs(redis, env.REDIS_KEY_PREFIX);
      const campaign = (await db.query(`SELECT status, targeted FROM campaigns WHERE tenant_id = $1 AND id = $2`, [c.tenantId, id])).rows[0];

      // COPY of the same rows into the scratch copy: the rows written to a file first (untimed), then
      // loaded (a) server-side, COPY ... FROM 'file', and (b) from the client, psql's \copy.
      const file = join(dir, `outbound-${r}.tsv`);
      rmSync(file, { force: true });
      await db.query(`COPY (SELECT * FROM outbound_messages WHERE tenant_id = '${c.tenantId}' AND campaign_id = '${id}') TO '${file}'`);
      await db.query('TRUNCATE bench_outbound_copy');
      await db.query('VACUUM ANALYZE bench_outbound_copy');
      const c0 = performance.now();
      const copied = await db.query(`COPY bench_outbound_copy FROM '${file}'`);
      const copyServerMs = performance.now() - c0;
      await db.query('TRUNCATE bench_outbound_copy');
      await db.query('VACUUM ANALYZE bench_outbound_copy');
      const p0 = performance.now();
      execFileSync(
        'psql',
        ['-X', '-q', '-h', '127.0.0.1', '-U', 'postgres', '-d', dbName(env.DATABASE_URL), '-c', `\\copy bench_outbound_copy FROM '${file}'`],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      const copyPsqlMs = performance.now() - p0;
      rmSync(file, { force: true });
      const run = {
        warmup,
        rows,
        copiedRows: copied.rowCount,
        jobs,
        campaign,
        startMs,
        queuedMs,
        firstQueuedMs: firstQueuedAt === null ? null : firstQueuedAt - t0,
        firstChunk: (await db.query(`SELECT snapshot_plan->>'firstChunk' AS first FROM campaigns WHERE tenant_id = $1 AND id = $2`, [c.tenantId, id]))
          .rows[0]?.first,
        rowsPerSecond: rows / (queuedMs / 1000),
        stepsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v * 10) / 10])),
        copyServerMs,
        copyPsqlMs,
        copyServerRowsPerSecond: copied.rowCount / (copyServerMs / 1000),
        copyPsqlRowsPerSecond: copied.rowCount / (copyPsqlMs / 1000),
        db: counters,
        cpu: usage,
        quietBefore: quiet,
      };
      runs.push(run);
      log(
        `${warmup ? 'warm-up' : `run ${r}`}: all queued after ${Math.round(queuedMs)} ms (${fmt(run.rowsPerSecond)} rows/s), start() returned after ${Math.round(startMs)} ms, ${fmt(rows)} rows, ${fmt(jobs)} jobs; ` +
          `COPY ${Math.round(copyServerMs)} ms server-side, ${Math.round(copyPsqlMs)} ms psql \\copy; steps ${JSON.stringify(run.stepsMs)}`,
      );
    }
  } finally {
    await app.close();
    redis.disconnect();
    await clearRedisPrefix(env.REDIS_KEY_PREFIX);
    await db.end();
  }

  const measured = runs.filter((r) => !r.warmup);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = {
    startMs: median(measured.map((r) => r.startMs)),
    queuedMs: median(measured.map((r) => r.queuedMs)),
    firstQueuedMs: median(measured.map((r) => r.firstQueuedMs)),
    materialiseMs: median(measured.map((r) => r.stepsMs['materialise (INSERT ... SELECT)'])),
    copyServerMs: median(measured.map((r) => r.copyServerMs)),
    copyPsqlMs: median(measured.map((r) => r.copyPsqlMs)),
  };
  const rows = measured[0]?.rows ?? 0;
  const summary = {
    rows,
    startRowsPerSecond: rows / (m.queuedMs / 1000),
    materialiseRowsPerSecond: rows / (m.materialiseMs / 1000),
    copyServerRowsPerSecond: rows / (m.copyServerMs / 1000),
    copyPsqlRowsPerSecond: rows / (m.copyPsqlMs / 1000),
    startOverCopyServer: m.queuedMs / m.copyServerMs,
    startOverCopyPsql: m.queuedMs / m.copyPsqlMs,
    returnOverCopyServer: m.startMs / m.copyServerMs,
    materialiseOverCopyServer: m.materialiseMs / m.copyServerMs,
    ...m,
  };
  summary.ratioToTarget = summary.startRowsPerSecond / TARGET_ROWS_PER_S;
  const results = {
    bench: 'campaign-fanout',
    machine,
    options: opts,
    scratchTable: { indexes: copyIndexes, partitionIndexes: partIndexes },
    runs,
    summary,
  };

  const out = [
    '',
    `campaign-fanout, ${machine.date}, ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}`,
  ];
  out.push(
    `${fmt(opts.subscribers)} active subscribers with contacts; number at ${opts.mpsCap} msg/s; CampaignsService.start() called directly (CliModule, no processors)`,
    `scratch copy: ${copyIndexes} indexes (the partition has ${partIndexes})`,
    '',
  );
  for (const [i, r] of measured.entries()) {
    out.push(
      table(`run ${i + 1}`, [
        ['send -> all rows materialised + jobs added (ms)', fmt(r.queuedMs, 0)],
        ['send -> start() returned (+ ANALYZE, completion check) (ms)', fmt(r.startMs, 0)],
        [`start(): send -> first chunk (${fmt(Number(r.firstChunk))} rows) queued (ms)`, fmt(r.firstQueuedMs, 0)],
        ['rows queued / jobs in Redis', `${fmt(r.rows)} / ${fmt(r.jobs)}`],
        ['campaign after start', `${r.campaign.status}, targeted ${fmt(r.campaign.targeted)}`],
        ...Object.entries(r.stepsMs).map(([k, v]) => [`  ${k} (ms)`, fmt(v, 0)]),
        ['rows/s (send -> all queued)', fmt(r.rowsPerSecond)],
        ['COPY server-side / psql \\copy (ms)', `${fmt(r.copyServerMs, 0)} / ${fmt(r.copyPsqlMs, 0)}`],
        ['DB commits', fmt(r.db.commits)],
        [
          'CPU cores busy',
          Object.entries(r.cpu.cores)
            .filter(([k]) => k !== 'machine')
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ],
      ]),
      '',
    );
  }
  out.push(
    table(`median of ${measured.length} runs`, [
      ['rows', fmt(rows)],
      ['rows/s (send -> all materialised and queued)', fmt(summary.startRowsPerSecond)],
      ['send -> start() returned (ms)', fmt(m.startMs, 0)],
      ['send -> first chunk queued (ms)', fmt(m.firstQueuedMs, 0)],
      ['materialise alone rows/s', fmt(summary.materialiseRowsPerSecond)],
      ['COPY server-side rows/s', fmt(summary.copyServerRowsPerSecond)],
      ['COPY psql \\copy rows/s', fmt(summary.copyPsqlRowsPerSecond)],
      [`rows/s / target ${fmt(TARGET_ROWS_PER_S)} rows/s`, pct(summary.ratioToTarget)],
      [`send -> all queued time / COPY server-side (target <= ${TARGET_COPY_RATIO})`, fmt(summary.startOverCopyServer, 2)],
      ['send -> all queued time / psql \\copy', fmt(summary.startOverCopyPsql, 2)],
      ['send -> start() returned / COPY server-side', fmt(summary.returnOverCopyServer, 2)],
      ['materialise time / COPY server-side', fmt(summary.materialiseOverCopyServer, 2)],
    ]),
    '',
    `JSON ${JSON.stringify(results)}`,
    '',
  );
  process.stdout.write(out.join('\n'));
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
