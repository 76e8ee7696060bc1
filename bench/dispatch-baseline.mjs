// The dispatch baseline: the pipeline behind the brief's "8,500 msg/s" figure, rebuilt with nothing
// but Bull, pg and undici, and measured on this machine now, so the platform ceiling (scenario a of
// campaign-dispatch.mjs) can be read against what the same machine does today as well as against
// the brief's figure (the machines these benches run on vary by half from one day to the next).
//
// Jobs of 100 message ids (addBulk), a worker process (bench/lib/baseline-worker.mjs) that claims a
// job's rows with one UPDATE ... RETURNING, POSTs each message to a bare node:http stand-in
// (bench/lib/baseline-standin.mjs) over undici's keep-alive pool, and records the answers with one
// batched UPDATE. Timed like scenario a: from the first job added to the last message accepted by
// the stand-in, and to the last row recorded.
// Run: node bench/dispatch-baseline.mjs  (see bench/README.md)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Queue from 'bull';
import pg from 'pg';
import {
  DEFAULTS,
  ROOT,
  clearRedisPrefix,
  cpuPerMessage,
  cpuSampler,
  dbName,
  fmt,
  int,
  machineInfo,
  parseFlags,
  pct,
  sleep,
  startProcess,
  table,
  waitForQuiet,
} from './lib/harness.mjs';
import { cleanUp, freePort, onCleanUp } from './lib/services.mjs';

const USAGE = `node bench/dispatch-baseline.mjs [options]

  --messages N         messages per measured run (default 20000)
  --warmup N           messages sent first in each run, not measured (default 2000)
  --runs N             measured runs (default 3)
  --job-size N         message ids per Bull job (default 100)
  --concurrency N      jobs the worker processes at once (default 8)
  --connections N      undici keep-alive connections to the stand-in (default 64)
  --araldo-indexes     give baseline_messages indexes shaped like outbound_messages' eight (status,
                       time and campaign keys that every claim and acceptance changes)
  --database-url URL   database (created when missing; only the table baseline_messages is touched)
                       (default ${DEFAULTS.databaseUrl})
  --redis-prefix P     Redis key prefix, cleared before and after (default {araldo-bench-baseline})
  --no-wait-quiet      do not wait for the machine to be quiet before each measured run
  --quiet-timeout S    how long to wait for it at most (default 120)
`;

/** The brief's prototype on the machine it was measured on: jobs of 100, one batched UPDATE per job. */
const BRIEF_MSG_PER_S = 8_500;
/** Scenario a's target. */
const CEILING_TARGET = 5_000;

const flags = parseFlags(
  {
    messages: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    'job-size': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '8' },
    connections: { type: 'string', default: '64' },
    'araldo-indexes': { type: 'boolean', default: false },
    'database-url': { type: 'string', default: DEFAULTS.databaseUrl },
    'redis-prefix': { type: 'string', default: '{araldo-bench-baseline}' },
    'no-wait-quiet': { type: 'boolean', default: false },
    'quiet-timeout': { type: 'string', default: '120' },
  },
  USAGE,
);
const opts = {
  messages: int(flags.messages, 'messages'),
  warmup: int(flags.warmup, 'warmup'),
  runs: int(flags.runs, 'runs'),
  jobSize: Math.max(1, int(flags['job-size'], 'job-size')),
  concurrency: Math.max(1, int(flags.concurrency, 'concurrency')),
  connections: Math.max(1, int(flags.connections, 'connections')),
  araldoIndexes: flags['araldo-indexes'],
  databaseUrl: flags['database-url'],
  redisPrefix: flags['redis-prefix'],
  waitQuiet: !flags['no-wait-quiet'],
  quietTimeoutS: int(flags['quiet-timeout'], 'quiet-timeout'),
};
const redisUrl = process.env.BENCH_REDIS_URL ?? DEFAULTS.redisUrl;
const log = (m) => process.stderr.write(`[baseline] ${m}\n`);

async function ensureDatabase(url) {
  const name = dbName(url);
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) throw new Error(`unusable database name "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
}

/**
 * The rows: an id, a recipient and the JSON body the real adapter would send for a utility template
 * with two named parameters (about 400 bytes), and the two indexes the sends' UPDATEs touch.
 */
async function seed(db, n) {
  await db.query('DROP TABLE IF EXISTS baseline_messages');
  await db.query(`CREATE TABLE baseline_messages (
    id bigint PRIMARY KEY,
    status text NOT NULL DEFAULT 'queued',
    recipient text NOT NULL,
    body text NOT NULL,
    provider_message_id text UNIQUE,
    sent_at timestamptz)`);
  await db.query(
    `INSERT INTO baseline_messages (id, recipient, body)
     SELECT i, r, json_build_object(
       'messaging_product', 'whatsapp', 'recipient_type', 'individual', 'to', r, 'type', 'template',
       'template', json_build_object('name', 'allerta_meteo', 'language', json_build_object('code', 'it'),
         'components', json_build_array(json_build_object('type', 'body', 'parameters', json_build_array(
           json_build_object('type', 'text', 'parameter_name', 'nome', 'text', 'Cittadino ' || i),
           json_build_object('type', 'text', 'parameter_name', 'comune', 'text', 'Cavazzo Carnico'))))),
       'biz_opaque_callback_data', gen_random_uuid()::text)::text
     FROM generate_series(1, $1::int) AS i, LATERAL (SELECT (393200000000 + i)::text AS r) AS x`,
    [n],
  );
  if (opts.araldoIndexes) {
    // outbound_messages' indexes, one for one, on this table's columns (campaign_id stands for the
    // tenant and campaign keys). Both UPDATEs change indexed columns, so neither can be HOT.
    for (const ddl of [
      `ALTER TABLE baseline_messages ADD COLUMN campaign_id int NOT NULL DEFAULT 1, ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
         ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(), ADD COLUMN accepted_at timestamptz`,
      'CREATE UNIQUE INDEX ON baseline_messages (campaign_id, recipient)',
      'CREATE INDEX ON baseline_messages (campaign_id, status)',
      'CREATE INDEX ON baseline_messages (campaign_id, accepted_at) WHERE accepted_at IS NOT NULL',
      'CREATE INDEX ON baseline_messages (campaign_id, created_at)',
      "CREATE INDEX ON baseline_messages (campaign_id, created_at) WHERE status = 'queued'",
      "CREATE INDEX ON baseline_messages (campaign_id, updated_at) WHERE status = 'unknown'",
    ])
      await db.query(ddl);
  }
  await db.query('VACUUM ANALYZE baseline_messages');
}

async function waitForLine(proc, pattern, timeoutMs = 30_000) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited; see ${proc.logPath}`);
    const m = existsSync(proc.logPath) ? readFileSync(proc.logPath, 'utf8').match(pattern) : null;
    if (m) return m;
    await sleep(100);
  }
  throw new Error(`${proc.name} did not start within ${timeoutMs} ms; see ${proc.logPath}`);
}

async function standInCount(url) {
  const res = await fetch(`${url}/count`);
  return res.json();
}

/** Adds jobs for ids [from, to] and waits until the stand-in accepted them all and every row is recorded. */
async function sendRange(queue, db, standIn, from, to) {
  const jobs = [];
  for (let i = from; i <= to; i += opts.jobSize) {
    const ids = [];
    for (let id = i; id <= Math.min(to, i + opts.jobSize - 1); id++) ids.push(id);
    jobs.push({ name: 'send', data: { ids }, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }
  await fetch(`${standIn}/reset`, { method: 'POST' }).then((r) => r.arrayBuffer());
  const expected = to - from + 1;
  const t0 = Date.now();
  await queue.addBulk(jobs);
  let accepted;
  const deadline = t0 + 300_000;
  for (;;) {
    accepted = await standInCount(standIn);
    if (accepted.count >= expected) break;
    if (Date.now() > deadline) throw new Error(`only ${accepted.count} of ${expected} accepted after 300 s`);
    await sleep(20);
  }
  let recordedAt;
  for (;;) {
    const r = await db.query(`SELECT count(*)::int AS n FROM baseline_messages WHERE id BETWEEN $1 AND $2 AND status = 'accepted'`, [from, to]);
    if (r.rows[0].n >= expected) {
      recordedAt = Date.now();
      break;
    }
    if (Date.now() > deadline) throw new Error(`only ${r.rows[0].n} of ${expected} recorded after 300 s`);
    await sleep(20);
  }
  return {
    accepted: accepted.count,
    firstAfterAddMs: accepted.first - t0,
    endToEndSeconds: (accepted.last - t0) / 1000,
    endToEndPerSecond: expected / ((accepted.last - t0) / 1000),
    recordedSeconds: (recordedAt - t0) / 1000,
    recordedPerSecond: expected / ((recordedAt - t0) / 1000),
  };
}

async function main() {
  const machine = machineInfo({});
  log(`load average before: ${machine.loadavg}`);
  await ensureDatabase(opts.databaseUrl);
  const db = new pg.Client({ connectionString: opts.databaseUrl });
  await db.connect();
  onCleanUp(() => db.end());
  const perRun = opts.warmup + opts.messages;
  await seed(db, perRun * opts.runs);
  await clearRedisPrefix(opts.redisPrefix, redisUrl);
  onCleanUp(() => clearRedisPrefix(opts.redisPrefix, redisUrl));

  const port = await freePort(3960);
  const standInProc = startProcess('baseline-standin', join(ROOT, 'bench/lib/baseline-standin.mjs'), {
    PATH: process.env.PATH,
    STANDIN_PORT: String(port),
  });
  onCleanUp(() => standInProc.stop());
  await waitForLine(standInProc, /listening (\d+)/);
  const standIn = `http://127.0.0.1:${port}`;
  const worker = startProcess('baseline-worker', join(ROOT, 'bench/lib/baseline-worker.mjs'), {
    PATH: process.env.PATH,
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: opts.redisPrefix,
    STANDIN_URL: standIn,
    BASELINE_CONCURRENCY: String(opts.concurrency),
    BASELINE_CONNECTIONS: String(opts.connections),
    BASELINE_ARALDO_INDEXES: opts.araldoIndexes ? '1' : '',
  });
  onCleanUp(() => worker.stop());
  await waitForLine(worker, /^ready$/m);
  const queue = new Queue('baseline', redisUrl, { prefix: opts.redisPrefix });
  onCleanUp(() => queue.close());

  const runs = [];
  for (let r = 0; r < opts.runs; r++) {
    const base = r * perRun;
    const warm = opts.warmup > 0 ? await sendRange(queue, db, standIn, base + 1, base + opts.warmup) : null;
    const quiet = opts.waitQuiet ? await waitForQuiet({ timeoutMs: opts.quietTimeoutS * 1000, log }) : null;
    const cpu = cpuSampler([standInProc, worker], dbName(opts.databaseUrl));
    const measured = await sendRange(queue, db, standIn, base + opts.warmup + 1, base + perRun);
    const usage = cpu.stop();
    const perMessage = cpuPerMessage(usage, opts.messages);
    runs.push({ ...measured, warmup: warm, cpu: usage, cpuMicrosPerMessage: perMessage, quietBefore: quiet });
    log(`run ${r + 1}: ${fmt(measured.endToEndPerSecond)} msg/s to the last acceptance, ${fmt(measured.recordedPerSecond)} to the last row recorded`);
  }
  const failedLines = readFileSync(worker.logPath, 'utf8')
    .split('\n')
    .filter((l) => /failed|error/i.test(l));

  const rates = runs.map((x) => x.endToEndPerSecond);
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  process.stdout.write(
    `\ndispatch-baseline, ${machine.date}, ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}\n`,
  );
  process.stdout.write(
    table(
      `Bull jobs of ${opts.jobSize}, ${opts.concurrency} at once, undici pool of ${opts.connections}, a bare stand-in; ${fmt(opts.messages)} messages a run`,
      [
        ...runs.flatMap((x, i) => [
          [`run ${i + 1}: msg/s end to end (add -> last accepted)`, fmt(x.endToEndPerSecond)],
          [`run ${i + 1}: msg/s to the last row recorded`, fmt(x.recordedPerSecond)],
          [`run ${i + 1}: first accepted after (ms)`, x.firstAfterAddMs],
          [`run ${i + 1}: CPU cores busy`, coresLine(x.cpu.cores)],
          [`run ${i + 1}: CPU per message (µs)`, microsLine(x.cpuMicrosPerMessage)],
        ]),
        ['mean msg/s end to end', fmt(mean)],
        [`ratio to the brief's ${fmt(BRIEF_MSG_PER_S)} msg/s`, pct(mean / BRIEF_MSG_PER_S)],
        [`scenario a's target (${fmt(CEILING_TARGET)} msg/s) as a share of this`, pct(CEILING_TARGET / mean)],
        ['worker errors (log lines)', failedLines.length],
      ],
    ),
  );
  process.stdout.write(
    `\nJSON ${JSON.stringify({ bench: 'dispatch-baseline', machine, options: opts, runs, meanPerSecond: mean, ratioToBrief: mean / BRIEF_MSG_PER_S, workerErrors: failedLines.length })}\n`,
  );
}

const coresLine = (c) =>
  `stand-in ${c['baseline-standin']}, worker ${c['baseline-worker']}, postgres ${c.postgres}, redis ${c.redis}, other ${c.other}`;
const microsLine = (m) =>
  `stand-in ${m['baseline-standin']}, worker ${m['baseline-worker']}, postgres ${m.postgres}, redis ${m.redis}, all ${m.machine}`;

try {
  await main();
} finally {
  await cleanUp();
}
