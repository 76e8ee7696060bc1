// Campaign dispatch under faults (issue 5): seeded runs of one campaign during which the worker is
// killed with SIGKILL, Redis and PostgreSQL crash and restart, the simulator answers 5xx and 130429
// for a while, and some sends are accepted but answered too late (accept-then-timeout). After each
// run the simulator's log of accepted messages is compared with the campaign's rows: recipients
// lost (must be 0) and recipients who got the message twice (must be 0 except the documented
// unknown-outcome case, ADR 0006).
//
// PostgreSQL and Redis are the bench's own (initdb'd and started on other ports, removed at the
// end), since it crashes them; the api, the worker and the simulator run from dist/.
// Run: node bench/campaign-faults.mjs --runs 20  (see bench/README.md)
import 'reflect-metadata';
import Bull from 'bull';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  benchEnv,
  connectDb,
  fmt,
  int,
  logSummary,
  machineInfo,
  machineLoad,
  parseFlags,
  prng,
  resetDatabase,
  sleep,
  startProcess,
  table,
  waitForHttp,
} from './lib/harness.mjs';
import {
  apiClient,
  createCampaign,
  insertComuni,
  insertOperator,
  registerOnSimulator,
  seedSubscribers,
  sendErrors,
  setUpTemplates,
  simCall,
  simMessages,
  startSimulator,
} from './lib/campaigns.mjs';
import { cleanUp, freePort, onCleanUp, startPrivatePostgres, startPrivateRedis } from './lib/services.mjs';

const USAGE = `node bench/campaign-faults.mjs [options]

  --runs N              seeded runs (default 20)
  --seed N              seed of the first run; run k uses seed + k - 1 (default 1)
  --recipients N        recipients of each run's campaign (default 10000)
  --mps N               the number's mps_cap and the simulator's throughput cap (default 200:
                        10,000 recipients take about 50 s without faults)
  --storm-seconds S     length of the storm window (default 60)
  --error-rate R        share of sends answered 5xx during the storm (default 0.2)
  --throughput-rate R   share of sends answered 130429 during the storm (default 0.1)
  --timeout-rate R      share of accepted sends answered too late (accept-then-timeout) (default 0.01)
  --settle S            UNKNOWN_OUTCOME_SETTLE_SECONDS (default 150; see bench/README.md)
  --stale S             STALE_SENDING_AFTER_SECONDS (default 10)
  --request-timeout MS  WHATSAPP_REQUEST_TIMEOUT_MS (default 2000)
  --sweep-every S       also enqueue a sweep every S seconds; 0: only the worker's minute sweep (default 5)
  --receipts MODE       status webhooks: sent (one per message, default), read (sent, delivered,
                        read) or none (held back: every unknown outcome is then sent again)
  --timeout S           give up on a run S seconds after the send (default 900)
  --port N              api port (default 3960); the simulator listens on port + 1
  --pg-port N           the bench's own PostgreSQL (default 55432, or the next free port)
  --redis-port N        the bench's own Redis (default 56379, or the next free port)
  --pg-bin DIR          PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
`;

const flags = parseFlags(
  {
    runs: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    recipients: { type: 'string', default: '10000' },
    mps: { type: 'string', default: '200' },
    'storm-seconds': { type: 'string', default: '60' },
    'error-rate': { type: 'string', default: '0.2' },
    'throughput-rate': { type: 'string', default: '0.1' },
    'timeout-rate': { type: 'string', default: '0.01' },
    settle: { type: 'string', default: '150' },
    stale: { type: 'string', default: '10' },
    'request-timeout': { type: 'string', default: '2000' },
    'sweep-every': { type: 'string', default: '5' },
    receipts: { type: 'string', default: 'sent' },
    timeout: { type: 'string', default: '900' },
    port: { type: 'string', default: '3960' },
    'pg-port': { type: 'string', default: '55432' },
    'redis-port': { type: 'string', default: '56379' },
    'pg-bin': { type: 'string', default: '/usr/lib/postgresql/15/bin' },
  },
  USAGE,
);
const opts = {
  runs: int(flags.runs, 'runs'),
  seed: int(flags.seed, 'seed'),
  recipients: int(flags.recipients, 'recipients'),
  mps: int(flags.mps, 'mps'),
  stormS: int(flags['storm-seconds'], 'storm-seconds'),
  errorRate: int(flags['error-rate'], 'error-rate'),
  throughputRate: int(flags['throughput-rate'], 'throughput-rate'),
  timeoutRate: int(flags['timeout-rate'], 'timeout-rate'),
  settleS: int(flags.settle, 'settle'),
  staleS: int(flags.stale, 'stale'),
  requestTimeoutMs: int(flags['request-timeout'], 'request-timeout'),
  sweepEveryS: int(flags['sweep-every'], 'sweep-every'),
  receipts: flags.receipts,
  timeoutS: int(flags.timeout, 'timeout'),
  port: int(flags.port, 'port'),
  pgPort: int(flags['pg-port'], 'pg-port'),
  redisPort: int(flags['redis-port'], 'redis-port'),
  pgBin: flags['pg-bin'],
};
if (!['sent', 'read', 'none'].includes(opts.receipts)) throw new Error(`--receipts must be sent, read or none, got ${opts.receipts}`);
for (const k of ['errorRate', 'throughputRate', 'timeoutRate']) if (opts[k] > 1) throw new Error(`rates are between 0 and 1 (${k})`);

const DATABASE = 'araldo_bench_faults';
const REDIS_PREFIX = '{araldo-bench-faults}';
/** How long a held (accept-then-timeout) response is held: far past the request timeout; the simulator ends it when the client hangs up. */
const HOLD_MS = 30_000;
const POLL_MS = 1000;
/** After the campaign completes: sends still in flight land (or not) before the simulator's log is read. */
const GRACE_MS = Math.max(5000, opts.requestTimeoutMs + 2000);

const log = (m) => process.stderr.write(`[faults] ${m}\n`);
const seconds = (ms) => Math.round(ms / 100) / 10;

// ---------------------------------------------------------------------------------------------
// The fault plan: when each fault happens, decided by the run's seed alone.

/**
 * `dispatchS` is how long the campaign would take without faults (recipients / mps). Worker
 * SIGKILL, Redis and PostgreSQL crashes land within it; the storm (5xx + 130429) starts within its
 * first part; accept-then-timeout covers the whole run or a window, as the seed decides. Faults may
 * overlap.
 */
function planFaults(seed, dispatchS) {
  const rand = prng(seed * 2654435761);
  const u = (a, b) => a + rand() * (b - a);
  const d = dispatchS;
  const plan = {
    workerKill: { atS: u(0.15, 0.85) * d, downS: u(1, 8) },
    redisCrash: { atS: u(0.1, 0.9) * d, downS: u(0.5, 5) },
    postgresCrash: { atS: u(0.1, 0.9) * d, downS: u(0.5, 5) },
    storm: { atS: u(0, Math.max(0.5 * d, d - opts.stormS)), durationS: opts.stormS, firstCode: rand() < 0.5 ? 131000 : 131016 },
    acceptThenTimeout: null,
  };
  plan.acceptThenTimeout = rand() < 0.5 ? { atS: 0, durationS: null } : { atS: u(0, 0.7 * d), durationS: u(20, 60) };
  for (const f of Object.values(plan)) for (const k of Object.keys(f)) if (typeof f[k] === 'number') f[k] = Math.round(f[k] * 10) / 10;
  return plan;
}

function describePlan(p) {
  const att = p.acceptThenTimeout;
  return [
    ['worker SIGKILL', `at ${p.workerKill.atS} s, restarted ${p.workerKill.downS} s later`],
    ['Redis crash (SIGKILL, data lost)', `at ${p.redisCrash.atS} s, down ${p.redisCrash.downS} s`],
    ['PostgreSQL crash (stop -m immediate)', `at ${p.postgresCrash.atS} s, down ${p.postgresCrash.downS} s`],
    [
      `storm: ${fmt(opts.errorRate * 100)} % 5xx + ${fmt(opts.throughputRate * 100)} % 130429`,
      `${p.storm.atS}-${Math.round((p.storm.atS + p.storm.durationS) * 10) / 10} s`,
    ],
    [
      `accept-then-timeout ${fmt(opts.timeoutRate * 100, 1)} %`,
      att.durationS === null ? 'the whole run' : `${att.atS}-${Math.round((att.atS + att.durationS) * 10) / 10} s`,
    ],
  ];
}

// ---------------------------------------------------------------------------------------------
// The araldo processes of a run, restarted when killed (by the plan) or when they exit on their own
// (recorded: the worker exits at start while PostgreSQL is down, for instance).

function supervised(name, script, env) {
  const exits = [];
  const logs = [];
  let proc = null;
  let startedAt = 0;
  let wanted = true;
  let killedByPlan = false;
  let restartTimer = null;
  const start = () => {
    proc = startProcess(name, script, env);
    startedAt = Date.now();
    logs.push(proc.logPath);
    const mine = proc;
    void mine.exited.then(({ code, signal }) => {
      if (mine !== proc) return;
      const planned = killedByPlan;
      killedByPlan = false;
      exits.push({ at: Date.now(), upS: seconds(Date.now() - startedAt), code, signal, planned });
      if (wanted && !planned) restartTimer = setTimeout(start, 1000);
    });
  };
  start();
  return {
    name,
    exits,
    logs,
    get proc() {
      return proc;
    },
    sigkill() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        killedByPlan = true;
        proc.child.kill('SIGKILL');
      }
      return proc.exited;
    },
    restart() {
      if (!wanted || (proc.child.exitCode === null && proc.child.signalCode === null)) return;
      start();
    },
    async stop() {
      wanted = false;
      clearTimeout(restartTimer);
      await proc.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One run

async function oneRun(services, runIndex, seed) {
  const dispatchS = opts.recipients / opts.mps;
  const plan = planFaults(seed, dispatchS);
  log(`run ${runIndex} (seed ${seed}): ${fmt(opts.recipients)} recipients at ${opts.mps} msg/s (about ${fmt(dispatchS)} s without faults)`);
  for (const [k, v] of describePlan(plan)) log(`  ${k}: ${v}`);

  const env = {
    ...benchEnv({ databaseUrl: services.pg.url(DATABASE), redisPrefix: REDIS_PREFIX, port: opts.port, redisUrl: services.redis.url }),
    SIMULATOR_BASE_URL: `http://127.0.0.1:${opts.port + 1}`,
    STALE_SENDING_AFTER_SECONDS: String(opts.staleS),
    UNKNOWN_OUTCOME_SETTLE_SECONDS: String(opts.settleS),
    WHATSAPP_REQUEST_TIMEOUT_MS: String(opts.requestTimeoutMs),
  };
  const flush = new Redis(services.redis.url, { maxRetriesPerRequest: 1 });
  await flush.flushall();
  flush.disconnect();
  await resetDatabase(env);
  const setup = await connectDb(env);
  const fx = await insertComuni(setup, env, 1, { mpsCap: opts.mps });
  const c = fx.comuni[0];
  await seedSubscribers(setup, c, opts.recipients, { phoneBase: 3_200_000_000 });
  await setup.query('VACUUM ANALYZE subscribers, contacts');
  const creds = await insertOperator(setup);
  await setup.end();
  // A pool from here on: PostgreSQL crashes during the run, its idle clients die and it makes new ones.
  const db = new pg.Pool({ connectionString: env.DATABASE_URL, max: 3, connectionTimeoutMillis: 3000 });
  db.on('error', () => undefined);

  const sim = await startSimulator(opts.port + 1, opts.receipts === 'none' ? 600_000 : 200);
  await registerOnSimulator(sim.url, fx, opts.port, { mps: opts.mps, receipts: opts.receipts !== 'none' });
  if (opts.receipts === 'sent') await simCall(sim.url, 'POST', '/_sim/status-behaviour', { phoneNumberId: c.phoneNumberId, stopAt: 'sent' });
  const faultsView = await simCall(sim.url, 'POST', '/_sim/faults', { phoneNumberId: c.phoneNumberId, acceptThenTimeoutRate: 0 });
  if (!('acceptThenTimeoutRate' in faultsView)) throw new Error('the simulator in dist/ has no rate-based faults: run npm run build');
  const api = supervised('api', 'apps/api/src/main.js', env);
  const worker = supervised('worker', 'apps/worker/src/main.js', env);
  const unregister = onCleanUp(async () => {
    await worker.stop();
    await api.stop();
    await sim.proc.stop();
  });
  const maintenance = new Bull('maintenance', services.redis.url, { prefix: REDIS_PREFIX });
  maintenance.on('error', () => undefined);

  try {
    await waitForHttp(`http://127.0.0.1:${opts.port}/health`, api.proc);
    const client = await apiClient(`http://127.0.0.1:${opts.port}`, creds);
    await setUpTemplates(client, c);
    const campaignId = await createCampaign(client, c, { title: `Faults seed ${seed}` });
    await sleep(1500); // the worker's queues are connected

    const loadBefore = machineLoad();
    const t0 = Date.now();
    await client.post(`/api/v1/tenants/${c.slug}/campaigns/${campaignId}/send`);
    const events = [];
    let sendingAtKill = null;
    const timers = [];
    const inFlight = new Set();
    const at = (s, name, action) => {
      timers.push(
        setTimeout(() => {
          const e = { name, atS: seconds(Date.now() - t0) };
          events.push(e);
          const p = (async () => {
            try {
              const r = await action();
              if (r?.unavailableS !== undefined) e.unavailableS = r.unavailableS;
            } catch (err) {
              e.error = err.message;
              log(`  fault "${name}" failed: ${err.message}`);
            }
            e.doneS = seconds(Date.now() - t0);
          })();
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }, s * 1000),
      );
    };
    const setFaults = (f) => simCall(sim.url, 'POST', '/_sim/faults', { phoneNumberId: c.phoneNumberId, ...f });

    // The plan, as timers from the send click.
    at(plan.workerKill.atS, 'worker SIGKILL', async () => {
      await worker.sigkill();
      const killedAt = Date.now();
      // The rows the dead worker held ('sending'; nobody else can hold any now): each becomes an unknown outcome.
      sendingAtKill = await db
        .query(`SELECT count(*)::int AS n FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'sending'`, [
          c.tenantId,
          campaignId,
        ])
        .then((r) => r.rows[0].n)
        .catch(() => null);
      await sleep(Math.max(0, killedAt + plan.workerKill.downS * 1000 - Date.now()));
      worker.restart();
    });
    at(plan.redisCrash.atS, 'Redis crash + restart', async () => ({
      unavailableS: seconds(await services.redis.crashRestart(plan.redisCrash.downS * 1000)),
    }));
    at(plan.postgresCrash.atS, 'PostgreSQL crash + restart', async () => ({
      unavailableS: seconds(await services.pg.crashRestart(plan.postgresCrash.downS * 1000)),
    }));
    const storm = plan.storm;
    at(storm.atS, 'storm on', () =>
      setFaults({ serverErrorRate: opts.errorRate, throughputErrorRate: opts.throughputRate, serverErrorCode: storm.firstCode }),
    );
    // Both 5xx codes: 500 / 131000 and 503 / 131016, alternating every 10 s.
    for (let s = 10; s < storm.durationS; s += 10) {
      const code = (s / 10) % 2 === 0 ? storm.firstCode : storm.firstCode === 131000 ? 131016 : 131000;
      at(storm.atS + s, `storm: 5xx now ${code}`, () => setFaults({ serverErrorCode: code }));
    }
    at(storm.atS + storm.durationS, 'storm off', () => setFaults({ serverErrorRate: 0, throughputErrorRate: 0 }));
    const att = plan.acceptThenTimeout;
    at(att.atS, 'accept-then-timeout on', () => setFaults({ acceptThenTimeoutRate: opts.timeoutRate, holdMs: HOLD_MS }));
    if (att.durationS !== null) at(att.atS + att.durationS, 'accept-then-timeout off', () => setFaults({ acceptThenTimeoutRate: 0 }));

    // Extra sweeps (the worker runs one a minute), so the shortened stale and settle periods are acted on promptly.
    const sweeps = { enqueued: 0, failed: 0 };
    const sweepTimer =
      opts.sweepEveryS > 0
        ? setInterval(() => {
            void (async () => {
              try {
                if ((await maintenance.getWaitingCount()) > 0) return;
                await maintenance.add('sweep', {}, { attempts: 1, removeOnComplete: true, removeOnFail: true });
                sweeps.enqueued++;
              } catch {
                sweeps.failed++;
              }
            })();
          }, opts.sweepEveryS * 1000)
        : null;

    // Which rows were ever seen in doubt ('unknown'), and when: what makes a duplicate explained.
    const unknownSeen = new Map();
    let status = 'sending';
    let lastProgress = 0;
    let outcome = 'timeout';
    for (;;) {
      await sleep(POLL_MS);
      try {
        const now = Date.now();
        const r = await db.query(`SELECT id FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'unknown'`, [
          c.tenantId,
          campaignId,
        ]);
        for (const { id } of r.rows) {
          const seen = unknownSeen.get(id);
          if (seen) seen.last = now;
          else unknownSeen.set(id, { first: now, last: now });
        }
        status = (await db.query(`SELECT status FROM campaigns WHERE tenant_id = $1 AND id = $2`, [c.tenantId, campaignId])).rows[0].status;
        if (now - lastProgress >= 10_000) {
          lastProgress = now;
          const counts = await db.query(`SELECT status, count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 GROUP BY 1 ORDER BY 1`, [
            campaignId,
          ]);
          log(`  ${seconds(now - t0)} s: ${counts.rows.map((x) => `${x.status} ${x.n}`).join(', ')}`);
        }
      } catch {
        // PostgreSQL is down (the plan crashed it): ask again in a second
      }
      if (['completed', 'failed', 'cancelled'].includes(status)) {
        outcome = status;
        break;
      }
      if (Date.now() - t0 > opts.timeoutS * 1000) break;
    }
    const endedS = seconds(Date.now() - t0);
    for (const t of timers) clearTimeout(t);
    clearInterval(sweepTimer);
    await Promise.allSettled([...inFlight]);
    const notReached = [];
    for (const name of ['worker SIGKILL', 'Redis crash + restart', 'PostgreSQL crash + restart', 'storm on', 'accept-then-timeout on'])
      if (!events.some((e) => e.name === name)) notReached.push(name);
    log(`  campaign ${outcome} after ${endedS} s${notReached.length ? `; not reached: ${notReached.join(', ')}` : ''}`);
    await sleep(GRACE_MS);
    const failedJobs = await failedBullJobs(services.redis.url);

    const analysis = await analyse(db, sim.url, c, campaignId, unknownSeen, t0);
    const workerLogs = worker.logs.map((p) => logSummary(p).counts);
    const apiLogs = api.logs.map((p) => logSummary(p).counts);
    const sendWarnings = sumCounts(worker.logs.map((p) => sendErrors(p)));
    return {
      run: runIndex,
      seed,
      plan,
      events,
      notReached,
      outcome,
      endedS,
      sweeps,
      sendingAtKill,
      failedJobs,
      loadBefore,
      loadAfter: machineLoad(),
      processExits: {
        worker: worker.exits.map(({ at: a, ...e }) => ({ atS: seconds(a - t0), ...e })),
        api: api.exits.map(({ at: a, ...e }) => ({ atS: seconds(a - t0), ...e })),
      },
      logs: { worker: worker.logs, api: api.logs, simulator: sim.proc.logPath },
      warnings: { worker: sumCounts(workerLogs), api: sumCounts(apiLogs) },
      sendWarnings,
      ...analysis,
    };
  } finally {
    await maintenance.close().catch(() => undefined);
    unregister();
    await worker.stop();
    await api.stop();
    await sim.proc.stop();
    await db.end();
  }
}

const compact = (counts) =>
  Object.entries(counts)
    .map(([k, v]) => `${k.replace(/^(warn|error):/, (m, l) => (l === 'error' ? 'ERROR ' : ''))} x${v}`)
    .join(', ') || 'none';

/**
 * Send and webhook jobs that Bull gave up on (3 and 8 attempts): their rows or events wait for the
 * sweep's lost-job rule (2 minutes). By failure reason, with the rows they carried.
 */
async function failedBullJobs(redisUrl) {
  const out = {};
  for (const name of ['outbound', 'webhooks']) {
    const q = new Bull(name, redisUrl, { prefix: REDIS_PREFIX });
    q.on('error', () => undefined);
    try {
      const jobs = await q.getFailed(0, 5000);
      const byReason = {};
      let ids = 0;
      for (const j of jobs) {
        const reason = String(j.failedReason ?? 'unknown').slice(0, 80);
        byReason[reason] = (byReason[reason] ?? 0) + 1;
        ids += (j.data.outboundIds ?? j.data.eventIds ?? []).length;
      }
      out[name] = { jobs: jobs.length, ids, byReason };
    } finally {
      await q.close().catch(() => undefined);
    }
  }
  return out;
}

function sumCounts(list) {
  const out = {};
  for (const counts of list) for (const [k, v] of Object.entries(counts)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Failed rows that are a legitimate end: Meta refused the message for good, or the attempts ran out. */
const LEGITIMATE_FAILURES = new Set(['retry', 'pace_recipient', 'unknown_expired', 'recipient_permanent', 'marketing_opt_out', 'template', 'skip']);
const ACCEPTED_STATES = new Set(['accepted', 'sent', 'delivered', 'read']);

/**
 * Compares the simulator's accepted messages with the campaign's rows.
 * - lost: a row the simulator never accepted, not `skipped`, and not `failed` for a legitimate
 *   reason (LEGITIMATE_FAILURES: Meta's definitive refusals, the last of MAX_SEND_ATTEMPTS retries
 *   spent, an unknown outcome past the last attempt). Rows still queued, sending or unknown when
 *   the run ends are lost too.
 * - duplicates: recipients accepted more than once. Explained (ADR 0006): the row was seen
 *   `unknown` before the repeat, and the repeat came at least the settle period (less 10 s of
 *   observation slack) after that. Split by how the first send came to be in doubt: its response
 *   was held by the simulator (accept-then-timeout), or not (the worker was killed, or the outcome
 *   could not be recorded while PostgreSQL was down). Every other repeat is unexplained.
 */
async function analyse(db, simUrl, c, campaignId, unknownSeen, t0) {
  const rows = (
    await db.query(
      `SELECT id, recipient, status, error_code AS code, error_action AS action, error_reason AS reason, attempts, provider_message_id AS pmid
         FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2`,
      [c.tenantId, campaignId],
    )
  ).rows;
  const msgs = await simMessages(simUrl, [c.phoneNumberId]);
  const byRow = new Map();
  for (const m of msgs) {
    const list = byRow.get(m.corr);
    if (list) list.push(m);
    else byRow.set(m.corr, [m]);
  }
  const rowIds = new Set(rows.map((r) => r.id));
  const strays = msgs.filter((m) => !rowIds.has(m.corr)).length;

  const byState = {};
  for (const r of rows) byState[r.status] = (byState[r.status] ?? 0) + 1;
  const lost = [];
  const failedLegitimately = {};
  const disagreements = [];
  for (const r of rows) {
    const accepted = byRow.get(r.id) ?? [];
    if (accepted.length === 0) {
      if (r.status === 'skipped' || (r.status === 'failed' && LEGITIMATE_FAILURES.has(r.action))) {
        const key = `${r.status}:${r.action}:${r.code ?? 'none'}`;
        failedLegitimately[key] = (failedLegitimately[key] ?? 0) + 1;
      } else lost.push({ id: r.id, status: r.status, action: r.action, code: r.code, reason: r.reason, attempts: r.attempts });
    } else if (!ACCEPTED_STATES.has(r.status) || !accepted.some((m) => m.wamid === r.pmid)) {
      // The citizen got it, but the row does not say so (or names another wamid): the stats would be wrong.
      disagreements.push({ id: r.id, status: r.status, action: r.action, pmid: r.pmid, accepted: accepted.length });
    }
  }

  const byRecipient = new Map();
  for (const m of msgs) {
    const to = m.to.replace(/^\+/, '');
    const list = byRecipient.get(to);
    if (list) list.push(m);
    else byRecipient.set(to, [m]);
  }
  const duplicates = [];
  for (const [to, list] of byRecipient) {
    if (list.length < 2) continue;
    const first = list[0];
    const repeat = list[1];
    const seen = unknownSeen.get(first.corr);
    const afterUnknownS = seen ? seconds(repeat.at - seen.first) : null;
    const explained = seen !== undefined && repeat.corr === first.corr && afterUnknownS >= opts.settleS - 10;
    // Had the first acceptance's receipt been acknowledged by the api before the repeat? (ADR 0006's
    // duplicate is a receipt that could not reach us within the settle period.)
    const deliveries = await simCall(simUrl, 'GET', `/_sim/webhook-deliveries?kind=status&wamid=${encodeURIComponent(first.wamid)}`);
    const acked = deliveries.filter((d) => d.httpStatus === 200).map((d) => Date.parse(d.at));
    const receiptAckedAt = acked.length ? Math.min(...acked) : null;
    duplicates.push({
      to,
      rows: [...new Set(list.map((m) => m.corr))],
      times: list.length,
      acceptedAt: list.map((m) => new Date(m.at).toISOString()),
      firstHeldMs: first.heldMs,
      seenUnknownAt: seen ? new Date(seen.first).toISOString() : null,
      repeatAfterUnknownS: afterUnknownS,
      cause: !explained ? 'unexplained' : first.heldMs !== null ? 'accept-then-timeout' : 'in doubt after a crash',
      receiptAckedBeforeRepeat: receiptAckedAt !== null && receiptAckedAt < repeat.at,
      receiptAckedAfterS: receiptAckedAt !== null ? seconds(receiptAckedAt - first.at) : null,
    });
  }
  const count = (cause) => duplicates.filter((d) => d.cause === cause).length;
  // Rows seen in doubt that Meta had not accepted before: claimed by a worker that died (or could
  // not record) before sending them. They wait the whole settle period all the same.
  const neverSentWaits = [];
  for (const [id, seen] of unknownSeen) {
    const accepted = byRow.get(id) ?? [];
    if (accepted.length > 0 && accepted[0].at < seen.first) continue;
    if (accepted.length > 0) neverSentWaits.push(seconds(accepted[0].at - seen.first));
  }
  neverSentWaits.sort((a, b) => a - b);
  // The longest time without any acceptance: how long the faults held the campaign up.
  let gap = { s: 0, fromS: null };
  for (let i = 1; i < msgs.length; i++) {
    const g = msgs[i].at - msgs[i - 1].at;
    if (g / 1000 > gap.s) gap = { s: seconds(g), fromS: seconds(msgs[i - 1].at - t0) };
  }
  return {
    targeted: rows.length,
    byState,
    acceptedMessages: msgs.length,
    acceptedRecipients: byRecipient.size,
    heldResponses: msgs.filter((m) => m.heldMs !== null).length,
    firstAcceptedS: msgs.length ? seconds(msgs[0].at - t0) : null,
    lastAcceptedS: msgs.length ? seconds(msgs.at(-1).at - t0) : null,
    longestGap: gap,
    seenUnknown: unknownSeen.size,
    inDoubtNeverSent: neverSentWaits.length,
    inDoubtNeverSentWaitS: neverSentWaits.length
      ? { min: neverSentWaits[0], median: neverSentWaits[Math.floor(neverSentWaits.length / 2)], max: neverSentWaits.at(-1) }
      : null,
    strays,
    lost: lost.length,
    lostRows: lost.slice(0, 50),
    failedLegitimately,
    disagreements: disagreements.length,
    disagreementRows: disagreements.slice(0, 50),
    duplicates: duplicates.length,
    duplicatesExplainedTimeout: count('accept-then-timeout'),
    duplicatesExplainedCrash: count('in doubt after a crash'),
    duplicatesUnexplained: count('unexplained'),
    duplicatesWithReceiptAckedBeforeRepeat: duplicates.filter((d) => d.receiptAckedBeforeRepeat).length,
    duplicateRows: duplicates.slice(0, 50),
  };
}

// ---------------------------------------------------------------------------------------------
// Output

function runTable(r) {
  const exits = [...r.processExits.worker.map((e) => ({ p: 'worker', ...e })), ...r.processExits.api.map((e) => ({ p: 'api', ...e }))].filter(
    (e) => !e.planned,
  );
  const failed = Object.entries(r.failedLegitimately);
  return table(
    `run ${r.run} (seed ${r.seed}): ${fmt(opts.recipients)} recipients at ${opts.mps} msg/s`,
    [
      ...describePlan(r.plan).map(([k, v]) => [`fault: ${k}`, v]),
      ['faults not reached (campaign done first)', r.notReached.length ? r.notReached.join(', ') : 'none'],
      ['campaign', `${r.outcome} ${r.endedS} s after the send`],
      ['first / last acceptance (s after the send)', `${r.firstAcceptedS} / ${r.lastAcceptedS}`],
      ['longest time without an acceptance', `${r.longestGap.s} s, from ${r.longestGap.fromS} s`],
      ['rows targeted', fmt(r.targeted)],
      [
        'rows by state',
        Object.entries(r.byState)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', '),
      ],
      ['accepted by the simulator: messages / recipients', `${fmt(r.acceptedMessages)} / ${fmt(r.acceptedRecipients)}`],
      ['responses held (accept-then-timeout)', fmt(r.heldResponses)],
      ['rows seen in doubt (unknown)', fmt(r.seenUnknown)],
      ['  rows the worker held (sending) when killed', r.sendingAtKill === null ? 'n/a' : fmt(r.sendingAtKill)],
      [
        '  in doubt though never sent: rows / wait until sent (s)',
        `${fmt(r.inDoubtNeverSent)}${r.inDoubtNeverSentWaitS ? ` / min ${r.inDoubtNeverSentWaitS.min}, median ${r.inDoubtNeverSentWaitS.median}, max ${r.inDoubtNeverSentWaitS.max}` : ''}`,
      ],
      ['LOST (must be 0)', fmt(r.lost)],
      ['failed legitimately (not lost)', failed.length ? failed.map(([k, v]) => `${k} x${v}`).join(', ') : 'none'],
      ['recipients accepted twice or more', fmt(r.duplicates)],
      ['  explained: accept-then-timeout, re-sent after settle', fmt(r.duplicatesExplainedTimeout)],
      ['  explained: in doubt after a crash, re-sent after settle', fmt(r.duplicatesExplainedCrash)],
      ['  UNEXPLAINED (must be 0)', fmt(r.duplicatesUnexplained)],
      ['  of which the receipt had reached the api before the repeat', fmt(r.duplicatesWithReceiptAckedBeforeRepeat)],
      ['rows that disagree with the simulator', fmt(r.disagreements)],
      [
        'unplanned process exits (restarted)',
        exits.length ? exits.map((e) => `${e.p} ${e.signal ?? `exit code ${e.code}`} at ${e.atS} s (up ${e.upS} s)`).join(', ') : 'none',
      ],
      ['worker send warnings (event:code)', compact(r.sendWarnings)],
      ['other worker warnings and errors', compact(Object.fromEntries(Object.entries(r.warnings.worker).filter(([k]) => !k.includes(':send_'))))],
      ['api warnings and errors', compact(r.warnings.api)],
      [
        'send jobs Bull gave up on: jobs / rows (reasons)',
        `${r.failedJobs.outbound.jobs} / ${r.failedJobs.outbound.ids} ${compact(r.failedJobs.outbound.byReason)}`,
      ],
      ['webhook jobs Bull gave up on: jobs / events', `${r.failedJobs.webhooks.jobs} / ${r.failedJobs.webhooks.ids}`],
      ['extra sweeps enqueued', fmt(r.sweeps.enqueued)],
      ['load average before / after', `${r.loadBefore} / ${r.loadAfter}`],
    ],
    { align: 'left' },
  );
}

function summary(results) {
  const sum = (k) => results.reduce((a, r) => a + r[k], 0);
  const durations = results.map((r) => r.endedS).sort((a, b) => a - b);
  return {
    runs: results.length,
    completed: results.filter((r) => r.outcome === 'completed').length,
    lost: sum('lost'),
    runsWithLost: results.filter((r) => r.lost > 0).map((r) => r.seed),
    failedLegitimately: results.reduce((a, r) => a + Object.values(r.failedLegitimately).reduce((x, y) => x + y, 0), 0),
    duplicates: sum('duplicates'),
    duplicatesExplainedTimeout: sum('duplicatesExplainedTimeout'),
    duplicatesExplainedCrash: sum('duplicatesExplainedCrash'),
    duplicatesUnexplained: sum('duplicatesUnexplained'),
    runsWithUnexplained: results.filter((r) => r.duplicatesUnexplained > 0).map((r) => r.seed),
    duplicatesWithReceiptAckedBeforeRepeat: sum('duplicatesWithReceiptAckedBeforeRepeat'),
    disagreements: sum('disagreements'),
    heldResponses: sum('heldResponses'),
    seenUnknown: sum('seenUnknown'),
    inDoubtNeverSent: sum('inDoubtNeverSent'),
    failedSendJobs: results.reduce((a, r) => a + r.failedJobs.outbound.jobs, 0),
    unplannedExits: results.reduce(
      (a, r) => a + r.processExits.worker.filter((e) => !e.planned).length + r.processExits.api.filter((e) => !e.planned).length,
      0,
    ),
    faultsNotReached: results.reduce((a, r) => a + r.notReached.length, 0),
    secondsToComplete: { min: durations[0], median: durations[Math.floor(durations.length / 2)], max: durations.at(-1) },
  };
}

async function main() {
  const pgPort = await freePort(opts.pgPort);
  const redisPort = await freePort(opts.redisPort);
  await freePort(opts.port).then((p) => {
    if (p !== opts.port) throw new Error(`port ${opts.port} is taken: choose another --port`);
  });
  const services = {
    pg: await startPrivatePostgres({ port: pgPort, bin: opts.pgBin, log }),
    redis: await startPrivateRedis({ port: redisPort, log }),
  };
  const machine = machineInfo({ databaseUrl: services.pg.url('postgres'), redisUrl: services.redis.url });
  log(`load average before: ${machine.loadavg}`);
  const settings = {
    STALE_SENDING_AFTER_SECONDS: opts.staleS,
    UNKNOWN_OUTCOME_SETTLE_SECONDS: opts.settleS,
    WHATSAPP_REQUEST_TIMEOUT_MS: opts.requestTimeoutMs,
    heldResponseMs: HOLD_MS,
    extraSweepEveryS: opts.sweepEveryS,
    receipts: opts.receipts,
    postgresRestart: 'pg_ctl stop -m immediate, then start (crash recovery)',
    redisRestart: 'SIGKILL, then a new redis-server without persistence (all keys lost)',
  };
  const results = [];
  const out = [];
  try {
    for (let k = 1; k <= opts.runs; k++) {
      const r = await oneRun(services, k, opts.seed + k - 1);
      results.push(r);
      const t = runTable(r);
      out.push(t, '');
      process.stderr.write(`${t}\n`);
    }
  } finally {
    await services.redis.stop().catch(() => undefined);
    await services.pg.stop().catch(() => undefined);
    await cleanUp();
  }
  const s = summary(results);
  out.push(
    table(
      `summary: ${s.runs} runs (seeds ${opts.seed}-${opts.seed + s.runs - 1}) of ${fmt(opts.recipients)} recipients at ${opts.mps} msg/s`,
      [
        ['campaigns completed', `${s.completed} / ${s.runs}`],
        ['LOST recipients (must be 0)', `${fmt(s.lost)}${s.runsWithLost.length ? ` (seeds ${s.runsWithLost.join(', ')})` : ''}`],
        ['failed legitimately (Meta refused for good, or attempts spent)', fmt(s.failedLegitimately)],
        ['recipients accepted twice or more', fmt(s.duplicates)],
        ['  explained: accept-then-timeout, re-sent after settle', fmt(s.duplicatesExplainedTimeout)],
        ['  explained: in doubt after a crash, re-sent after settle', fmt(s.duplicatesExplainedCrash)],
        [
          '  UNEXPLAINED (must be 0)',
          `${fmt(s.duplicatesUnexplained)}${s.runsWithUnexplained.length ? ` (seeds ${s.runsWithUnexplained.join(', ')})` : ''}`,
        ],
        ['  of which the receipt had reached the api before the repeat', fmt(s.duplicatesWithReceiptAckedBeforeRepeat)],
        ['rows that disagree with the simulator', fmt(s.disagreements)],
        ['responses held / rows seen in doubt', `${fmt(s.heldResponses)} / ${fmt(s.seenUnknown)}`],
        ['rows in doubt though never sent (waited the settle period)', fmt(s.inDoubtNeverSent)],
        ['send jobs Bull gave up on (rows waited for the sweep)', fmt(s.failedSendJobs)],
        ['unplanned process exits', fmt(s.unplannedExits)],
        ['faults not reached', fmt(s.faultsNotReached)],
        [
          'seconds from send to completion: min / median / max',
          `${s.secondsToComplete.min} / ${s.secondsToComplete.median} / ${s.secondsToComplete.max}`,
        ],
      ],
      { align: 'left' },
    ),
    '',
    `JSON ${JSON.stringify({ bench: 'campaign-faults', machine, options: opts, settings, summary: s, runs: results })}`,
    '',
  );
  process.stdout.write(out.join('\n'));
  const failed = s.lost > 0 || s.duplicatesUnexplained > 0 || s.completed < s.runs;
  process.exitCode = failed ? 1 : 0;
}

main().catch(async (err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  await cleanUp();
  process.exit(1);
});
