// Shared plumbing of the benchmarks: the bench database and Redis prefix, fixtures written with
// SQL (secrets encrypted exactly as the app does, with its own SecretBox from dist/), the api and
// worker started from dist/ as child processes, CPU accounting from /proc, and result tables.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { cpus, freemem, totalmem, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = join(ROOT, 'dist');

export const DEFAULTS = {
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/araldo_bench',
  redisUrl: 'redis://127.0.0.1:6379',
  redisPrefix: '{araldo-bench}',
  port: 3900,
};

/** Fixed identities of the bench fixtures; the secrets are random per run. */
export const FIXTURE = {
  appId: 'araldo-bench',
  wabaId: '104857600112233',
  phoneNumberId: '109988776655443',
  displayNumber: '+393339990001',
  tenantSlug: 'comune-bench',
};

export function parseFlags(options, usage) {
  try {
    const { values } = parseArgs({ options: { help: { type: 'boolean' }, ...options }, allowPositionals: false });
    if (values.help) {
      process.stdout.write(usage);
      process.exit(0);
    }
    return values;
  } catch (err) {
    process.stderr.write(`${err.message}\n\n${usage}`);
    process.exit(2);
  }
}

export const int = (v, name) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${v}`);
  return n;
};

/**
 * The environment of every araldo process of a run. Bench-specific env vars win over the defaults.
 * `redisUrl`: a Redis of the bench's own (campaign-faults.mjs); otherwise BENCH_REDIS_URL or the shared one.
 */
export function benchEnv({ databaseUrl, redisPrefix, port, redisUrl }) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '10',
    REDIS_URL: redisUrl ?? process.env.BENCH_REDIS_URL ?? DEFAULTS.redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    API_HOST: '127.0.0.1',
    API_PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    JWT_SECRET: randomBytes(36).toString('base64'),
    ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    MEDIA_STORAGE_DIR: join(tmpdir(), 'araldo-bench-media'),
  };
  for (const k of ['WEBHOOK_BATCH_MAX', 'WEBHOOK_BATCH_WAIT_MS', 'WHATSAPP_PACING_SHARE', 'WHATSAPP_WARM_UP_FACTOR', 'WHATSAPP_MAX_CONNECTIONS'])
    if (process.env[k]) env[k] = process.env[k];
  return env;
}

export function dbName(url) {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/**
 * Drops and recreates the bench database, then migrates it with the real CLI. Refuses any database
 * whose name does not contain "bench", so a wrong URL can never drop the app's or the tests' data.
 */
export async function resetDatabase(env) {
  const name = dbName(env.DATABASE_URL);
  if (!/bench/.test(name) || !/^[A-Za-z0-9_-]{1,63}$/.test(name)) {
    throw new Error(`refusing to drop database "${name}": a bench database name must contain "bench"`);
  }
  const admin = new URL(env.DATABASE_URL);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await c.end();
  }
  execFileSync(process.execPath, [join(DIST, 'apps/cli/src/main.js'), 'db:migrate'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

export async function connectDb(env) {
  const c = new pg.Client({ connectionString: env.DATABASE_URL });
  await c.connect();
  return c;
}

/**
 * The bench database's counters from pg_stat_database. Backends report them at transaction end (at
 * most once a second) and when they exit, so read the "after" side once the app's processes or
 * pools are closed.
 */
export async function dbCounters(db) {
  await db.query('SELECT pg_stat_clear_snapshot()');
  const r = await db.query(
    `SELECT xact_commit::bigint AS commits, xact_rollback::bigint AS rollbacks, deadlocks::bigint AS deadlocks,
            tup_inserted::bigint AS inserted, tup_updated::bigint AS updated,
            (SELECT coalesce(sum(n_tup_upd), 0) FROM pg_stat_user_tables WHERE relname LIKE 'outbound\\_messages\\_p%')::bigint AS "outboundUpdated",
            (SELECT coalesce(sum(n_tup_hot_upd), 0) FROM pg_stat_user_tables WHERE relname LIKE 'outbound\\_messages\\_p%')::bigint AS "outboundHotUpdated",
            (SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes WHERE indexrelname = 'provider_apps_app_id_key')::bigint AS "providerAppLookups",
            (SELECT coalesce(sum(blks_zeroed + blks_hit + blks_read), 0) FROM pg_stat_slru WHERE name LIKE 'Multi%')::bigint AS "multixactSlruAccesses"
       FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Object.fromEntries(Object.entries(r.rows[0]).map(([k, v]) => [k, Number(v)]));
}

export function counterDelta(before, after) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
}

/** Deletes every Redis key under the bench prefix (Bull's queues and the api's own keys). */
export async function clearRedisPrefix(prefix, redisUrl = process.env.BENCH_REDIS_URL ?? DEFAULTS.redisUrl) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[[\]*?\\]/g, '\\$&')}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

/**
 * Inserts a provider app, one comune (tenant) and its number with its webhook route, encrypting
 * the secrets with the app's own SecretBox and ENCRYPTION_KEYS, as ProviderAppsService and
 * NumbersService would.
 */
export async function insertFixtures(db, env) {
  const { SecretBox, loadAppConfig } = await import(join(DIST, 'libs/common/src/index.js'));
  const box = new SecretBox(loadAppConfig(env).encryptionKeys);
  const appSecret = randomBytes(24).toString('base64url');
  const verifyToken = randomBytes(24).toString('base64url');
  const accessToken = `EAAG${randomBytes(24).toString('base64url')}`;
  const providerAppId = randomUUID();
  const tenantId = randomUUID();
  const numberId = randomUUID();
  await db.query('BEGIN');
  await db.query(
    `INSERT INTO provider_apps (id, name, kind, app_id, app_secret_enc, app_secret_last4, verify_token_enc, verify_token_last4)
     VALUES ($1, 'Bench app', 'meta', $2, $3, $4, $5, $6)`,
    [providerAppId, FIXTURE.appId, box.encrypt(appSecret), appSecret.slice(-4), box.encrypt(verifyToken), verifyToken.slice(-4)],
  );
  await db.query(`INSERT INTO tenants (id, slug, display_name, status, mode) VALUES ($1, $2, 'Comune di Bench', 'live', 'one_way')`, [
    tenantId,
    FIXTURE.tenantSlug,
  ]);
  await db.query(
    `INSERT INTO whatsapp_numbers (tenant_id, id, provider_app_id, label, phone_number_id, display_number, waba_id,
                                   access_token_enc, access_token_last4, messaging_tier, mps_cap, status)
     VALUES ($1, $2, $3, 'Bench', $4, $5, $6, $7, $8, 'unlimited', 80, 'active')`,
    [
      tenantId,
      numberId,
      providerAppId,
      FIXTURE.phoneNumberId,
      FIXTURE.displayNumber,
      FIXTURE.wabaId,
      box.encrypt(accessToken),
      accessToken.slice(-4),
    ],
  );
  await db.query(`INSERT INTO phone_number_routes (phone_number_id, tenant_id, number_id) VALUES ($1, $2, $3)`, [
    FIXTURE.phoneNumberId,
    tenantId,
    numberId,
  ]);
  await db.query('COMMIT');
  return { providerAppId, tenantId, numberId, appSecret, verifyToken };
}

export const sign = (secret, body) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * Starts an araldo process from dist/ (or a script at an absolute path), its output going to a log
 * file (warnings and errors only at LOG_LEVEL=warn).
 */
export function startProcess(name, script, env, execArgv = []) {
  const dir = join(tmpdir(), 'araldo-bench-logs');
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, `${name}-${Date.now()}.log`);
  const log = createWriteStream(logPath);
  // BENCH_PROF_DIR: every process the bench starts writes a V8 CPU profile there when it exits.
  const prof = process.env.BENCH_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF_DIR}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`]
    : [];
  // BENCH_NODE_FLAGS: more Node flags for every process the bench starts (e.g. --trace-gc, whose lines go to its log).
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...prof, ...extra, ...execArgv, isAbsolute(script) ? script : join(DIST, script)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
  let stopping = null;
  return {
    name,
    child,
    pid: child.pid,
    logPath,
    exited,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
        await new Promise((res) => log.end(res));
      })();
      return stopping;
    },
  };
}

export async function waitForHttp(url, proc, timeoutMs = 60_000) {
  const started = Date.now();
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (Date.now() - started < timeoutMs) {
    if (exited) throw new Error(`${proc.name} exited during start; see ${proc.logPath}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${proc.name} did not answer ${url} within ${timeoutMs} ms; see ${proc.logPath}`);
}

export const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/** Counts the warn/error lines an araldo process logged (pino JSON: level >= 40), by `event`. */
export function logSummary(logPath) {
  const counts = {};
  let lines = 0;
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    lines++;
    try {
      const o = JSON.parse(line);
      const key = `${o.level >= 50 ? 'error' : 'warn'}:${o.event ?? o.msg ?? 'other'}`;
      counts[key] = (counts[key] ?? 0) + 1;
    } catch {
      counts['raw'] = (counts['raw'] ?? 0) + 1;
    }
  }
  return { lines, counts };
}

// ---------------------------------------------------------------------------------------------
// CPU accounting. Each process's user+system time from /proc, before and after a phase, divided by
// the wall time: the cores it kept busy. "other" is whatever else the machine did (another
// engineer's build or tests, the kernel), from /proc/stat.

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function procTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function systemTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

const POSTGRES_BACKEND = /^postgres: .*? (\S+) (\S+) (\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\])/;

/**
 * Ticks of every process that belongs to a group: the given child processes by pid, PostgreSQL
 * (its shared processes, and the backends connected to our database only: backends of other
 * databases count as "other"), and redis-server.
 */
function groupTicks(procs, database) {
  const byPid = new Map();
  const childPids = new Map(procs.map((p) => [String(p.pid), p.name]));
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (childPids.has(d)) {
        byPid.set(d, { group: childPids.get(d), ticks: procTicks(d) });
        continue;
      }
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm === 'redis-server') {
        byPid.set(d, { group: 'redis', ticks: procTicks(d) });
      } else if (comm === 'postgres') {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
        const backend = cmd.match(POSTGRES_BACKEND);
        if (!backend || backend[2] === database) byPid.set(d, { group: 'postgres', ticks: procTicks(d) });
      }
    } catch {
      // the process is gone
    }
  }
  return byPid;
}

/**
 * Samples the CPU of the given child processes, of PostgreSQL (our database's backends and its
 * shared processes), of redis-server and of this client, between start and stop, and once a second.
 * A process that exits during the window loses its last ticks (it is counted in "other"), one
 * that starts counts from zero.
 */
export function cpuSampler(procs, database = dbName(DEFAULTS.databaseUrl)) {
  // Processes of one name (several workers) count as one group.
  const groups = [...new Set(procs.map((p) => p.name)), 'postgres', 'redis', 'client'];
  const snap = () => ({
    at: process.hrtime.bigint(),
    pids: groupTicks(procs, database),
    client: process.cpuUsage(),
    system: systemTicks(),
  });
  const diff = (a, b) => {
    const wall = Number(b.at - a.at) / 1e9;
    const cores = (ticks) => ticks / CLK_TCK / wall;
    const out = Object.fromEntries(groups.map((g) => [g, 0]));
    for (const [pid, e] of b.pids) out[e.group] += cores(e.ticks - (a.pids.get(pid)?.ticks ?? 0));
    const cu = process.cpuUsage(a.client);
    out.client = (cu.user + cu.system) / 1e6 / wall;
    const sysBusy = cores(b.system.busy - a.system.busy);
    out.other = Math.max(0, sysBusy - groups.reduce((sum, g) => sum + out[g], 0));
    out.machine = sysBusy;
    for (const k of Object.keys(out)) out[k] = Math.round(out[k] * 100) / 100;
    return { wall, cores: out };
  };
  const start = snap();
  const perSecond = [];
  let last = start;
  const timer = setInterval(() => {
    const now = snap();
    perSecond.push(diff(last, now).cores);
    last = now;
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      const { wall, cores } = diff(start, snap());
      // Per second: how busy the machine was, and how much of it was none of ours.
      const timeline = { machine: perSecond.map((c) => c.machine), other: perSecond.map((c) => c.other), perSecond };
      return { wallSeconds: Math.round(wall * 10) / 10, cores, timeline };
    },
  };
}

/**
 * Each group's CPU time per message (µs) from a cpuSampler result: busy cores times the measured
 * seconds, over the messages. On a CPU-bound, shared VM the rate moves with whatever else runs;
 * this moves less (it still grows when the machine is busier), so two codes compare better by it.
 */
export const cpuPerMessage = (usage, messages) =>
  Object.fromEntries(Object.entries(usage.cores).map(([k, v]) => [k, messages > 0 ? Math.round((v * usage.wallSeconds * 1e6) / messages) : null]));

/**
 * Waits until the machine is quiet (under `maxBusyCores` busy over a 2 s window), so a measured
 * phase does not start in the middle of someone else's build or test run. Gives up after
 * timeoutMs and says how busy it was.
 */
export async function waitForQuiet({ maxBusyCores = 0.3, timeoutMs = 120_000, log = () => undefined } = {}) {
  const started = Date.now();
  let busy = Infinity;
  while (Date.now() - started < timeoutMs) {
    const a = systemTicks();
    await sleep(2000);
    const b = systemTicks();
    busy = (b.busy - a.busy) / CLK_TCK / 2;
    if (busy <= maxBusyCores) return { quiet: true, busyCores: Math.round(busy * 100) / 100, waitedS: Math.round((Date.now() - started) / 1000) };
    log(`machine busy (${busy.toFixed(2)} cores), waiting`);
  }
  return { quiet: false, busyCores: Math.round(busy * 100) / 100, waitedS: Math.round((Date.now() - started) / 1000) };
}

/**
 * Throughput and latency over the seconds in which the rest of the machine stayed under
 * `maxOther` busy cores ("other" in the CPU timeline): a measure of the app when nobody else's
 * build or tests ran. perSecond[i] holds the latencies (ms) of the responses of second i.
 */
export function undisturbed(perSecond, otherTimeline, maxOther = 0.15) {
  const lat = [];
  let seconds = 0;
  let responses = 0;
  for (let i = 0; i < Math.min(perSecond.length, otherTimeline.length); i++) {
    if (otherTimeline[i] > maxOther || !perSecond[i]) continue;
    seconds++;
    responses += perSecond[i].length;
    for (const l of perSecond[i]) lat.push(l);
  }
  if (seconds === 0) return { seconds: 0, of: otherTimeline.length, maxOtherCores: maxOther };
  lat.sort((a, b) => a - b);
  const q = (p) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] * 10) / 10;
  return {
    seconds,
    of: otherTimeline.length,
    maxOtherCores: maxOther,
    rps: Math.round(responses / seconds),
    latencyMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: Math.round(lat[lat.length - 1]) },
  };
}

/** Load average and what else is busy, to judge whether a run was disturbed. */
export function machineLoad() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** The machine, and the PostgreSQL and Redis the bench used (the shared ones unless given). */
export function machineInfo({ databaseUrl, redisUrl } = {}) {
  const sh = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      return 'unknown';
    }
  };
  const model =
    (
      sh('lscpu', [])
        .split('\n')
        .find((l) => l.startsWith('Model name')) ?? ''
    ).replace(/^Model name:\s*/, '') || cpus()[0]?.model;
  return {
    date: new Date().toISOString(),
    nproc: Number(sh('nproc', [])),
    cpuModel: model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres: databaseUrl
      ? sh('psql', ['-At', databaseUrl, '-c', 'SHOW server_version'])
      : sh('psql', ['-At', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-c', 'SHOW server_version']),
    redis:
      (sh('redis-cli', [...(redisUrl ? ['-u', redisUrl] : ['-h', '127.0.0.1']), 'INFO', 'server']).match(/redis_version:(\S+)/) ?? [])[1] ??
      'unknown',
    gitCommit: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    gitDirty: sh('git', ['-C', ROOT, 'status', '--porcelain']).length > 0,
    loadavg: machineLoad(),
  };
}

// ---------------------------------------------------------------------------------------------
// Output

/** A two-column table; values are right-aligned (figures) unless `align` is 'left' (text). */
export function table(title, rows, { align = 'right' } = {}) {
  const w0 = Math.max(...rows.map(([k]) => String(k).length));
  const w1 = Math.max(...rows.map(([, v]) => String(v).length));
  const line = `+${'-'.repeat(w0 + 2)}+${'-'.repeat(w1 + 2)}+`;
  const out = [title, line];
  for (const [k, v] of rows) out.push(`| ${String(k).padEnd(w0)} | ${align === 'left' ? String(v).padEnd(w1) : String(v).padStart(w1)} |`);
  out.push(line);
  return out.join('\n');
}

export const fmt = (n, digits = 0) =>
  n === null || n === undefined || Number.isNaN(n)
    ? 'n/a'
    : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const pct = (ratio) => `${fmt(ratio * 100, 1)} %`;

/** A small seeded PRNG (mulberry32), so a run's receipts and bodies can be reproduced. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle(array, rand) {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [array[i], array[j]] = [array[j], array[i]];
  }
  return array;
}
