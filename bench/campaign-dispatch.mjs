// Campaign dispatch, end to end: the api, the worker and the simulator as separate processes (from
// dist/), campaigns created and sent through the api (POST /campaigns, POST /campaigns/:id/send) by
// an operator, and every rate measured at the simulator from its message log (GET /_sim/messages,
// fetched once after each phase: acceptance times are the simulator's own clock).
//   --scenario a  platform ceiling: one comune, the number and the simulator at 10,000 msg/s
//   --scenario b  one number saturated: 50,000 recipients at 1,000 msg/s, then 6,000 at 80 msg/s
//   --scenario c  20 comuni x 5,000 at 80 msg/s each, one emergency (500) started mid-run, and the
//                 same emergency alone first
// Run: node bench/campaign-dispatch.mjs --scenario a,b,c  (see bench/README.md)
import 'reflect-metadata';
import {
  DEFAULTS,
  benchEnv,
  clearRedisPrefix,
  connectDb,
  cpuPerMessage,
  cpuSampler,
  dbName,
  fmt,
  int,
  logSummary,
  machineInfo,
  parseFlags,
  pct,
  resetDatabase,
  sleep,
  startProcess,
  table,
  waitForHttp,
  waitForQuiet,
} from './lib/harness.mjs';
import {
  apiClient,
  createCampaign,
  insertComuni,
  insertOperator,
  rateOf,
  registerOnSimulator,
  sendErrors,
  simCall,
  seedSubscribers,
  setUpTemplates,
  simMessages,
  startSimulator,
} from './lib/campaigns.mjs';

const USAGE = `node bench/campaign-dispatch.mjs [options]

  --scenario LIST      a, b, c or a comma list (default a,b,c)
  --ceiling-recipients N   scenario a (default 20000)
  --ceiling-warmup N   scenario a: a campaign to N of them first, not measured, so the processes'
                       code is compiled and their pools open as in a deployment (default 2000; 0: none)
  --big-recipients N   scenario b, at --big-cap (default 50000)
  --big-cap N          scenario b (default 1000)
  --small-recipients N scenario b, at 80 msg/s (default 6000)
  --comuni N           scenario c (default 20)
  --per-comune N       scenario c (default 5000)
  --emergency N        scenario c: recipients of the emergency (default 500)
  --emergency-at S     scenario c: seconds after the first send the emergency starts (default 20)
  --inbound-rate R     scenario b: citizens' messages per second to the 80 msg/s number while its
                       campaign sends (default 0); Meta counts them in the number's throughput
  --workers N          worker processes (default 1); the pacing in Redis is shared by all of them
  --in-window          recipients wrote in the last hour: free text instead of the approved template
  --receipts           the simulator posts sent/delivered/read webhooks to the api (default: held back)
  --timeout S          give up on a phase after S seconds (default 300)
  --port N             api port (default ${DEFAULTS.port}); the simulator listens on port + 1
  --database-url URL   bench database, dropped and recreated (default ${DEFAULTS.databaseUrl})
  --redis-prefix P     Redis key prefix, cleared before and after (default {araldo-bench-dispatch})
  --no-wait-quiet      do not wait for the machine to be quiet before each phase
  --quiet-timeout S    how long to wait for it at most (default 120)
`;

const TARGETS = { ceiling: 5000, capRatio: 0.98, throughputErrors: 0.005, firstMs: 1000, aggregate: 0.95, emergencyRatio: 1.1 };

const flags = parseFlags(
  {
    scenario: { type: 'string', default: 'a,b,c' },
    'ceiling-recipients': { type: 'string', default: '20000' },
    'ceiling-warmup': { type: 'string', default: '2000' },
    'big-recipients': { type: 'string', default: '50000' },
    'big-cap': { type: 'string', default: '1000' },
    'small-recipients': { type: 'string', default: '6000' },
    comuni: { type: 'string', default: '20' },
    'per-comune': { type: 'string', default: '5000' },
    emergency: { type: 'string', default: '500' },
    'emergency-at': { type: 'string', default: '20' },
    workers: { type: 'string', default: '1' },
    'inbound-rate': { type: 'string', default: '0' },
    'in-window': { type: 'boolean', default: false },
    receipts: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '300' },
    port: { type: 'string', default: String(DEFAULTS.port) },
    'database-url': { type: 'string', default: DEFAULTS.databaseUrl },
    'redis-prefix': { type: 'string', default: '{araldo-bench-dispatch}' },
    'no-wait-quiet': { type: 'boolean', default: false },
    'quiet-timeout': { type: 'string', default: '120' },
  },
  USAGE,
);
const opts = {
  scenarios: flags.scenario.split(',').map((s) => s.trim()),
  ceilingRecipients: int(flags['ceiling-recipients'], 'ceiling-recipients'),
  ceilingWarmup: int(flags['ceiling-warmup'], 'ceiling-warmup'),
  bigRecipients: int(flags['big-recipients'], 'big-recipients'),
  bigCap: int(flags['big-cap'], 'big-cap'),
  smallRecipients: int(flags['small-recipients'], 'small-recipients'),
  comuni: int(flags.comuni, 'comuni'),
  perComune: int(flags['per-comune'], 'per-comune'),
  emergency: int(flags.emergency, 'emergency'),
  emergencyAtS: int(flags['emergency-at'], 'emergency-at'),
  workers: int(flags.workers, 'workers'),
  inboundRate: Number(flags['inbound-rate']),
  inWindow: flags['in-window'],
  receipts: flags.receipts,
  timeoutS: int(flags.timeout, 'timeout'),
  port: int(flags.port, 'port'),
  waitQuiet: !flags['no-wait-quiet'],
  quietTimeoutS: int(flags['quiet-timeout'], 'quiet-timeout'),
};
for (const s of opts.scenarios) if (!['a', 'b', 'c'].includes(s)) throw new Error(`unknown scenario ${s}`);
if (!Number.isFinite(opts.inboundRate) || opts.inboundRate < 0)
  throw new Error(`--inbound-rate must be a number of messages a second, not ${flags['inbound-rate']}`);
const log = (m) => process.stderr.write(`[dispatch] ${m}\n`);

/**
 * A fresh world for a scenario: database reset and migrated, the comuni (numbers at their caps) and
 * their subscribers with contacts, the simulator (numbers at their mps, an approved template each),
 * the api and the worker, an operator signed in, each comune's message template linked to the
 * approved one (synced through the api).
 */
async function setUp(comuniSpec) {
  const env = {
    ...benchEnv({ databaseUrl: flags['database-url'], redisPrefix: flags['redis-prefix'], port: opts.port }),
    SIMULATOR_BASE_URL: `http://127.0.0.1:${opts.port + 1}`,
  };
  await resetDatabase(env);
  await clearRedisPrefix(env.REDIS_KEY_PREFIX);
  const db = await connectDb(env);
  // The schema caps a number at 1,000 msg/s (Meta's highest tier); the ceiling scenario needs no
  // effective cap, so the bench database (only) drops that check.
  if (comuniSpec.some((s) => s.cap > 1000)) await db.query('ALTER TABLE whatsapp_numbers DROP CONSTRAINT whatsapp_numbers_mps_cap_check');
  const fx = await insertComuni(db, env, comuniSpec.length, { mpsCap: (k) => comuniSpec[k].cap });
  for (const [k, c] of fx.comuni.entries()) {
    await seedSubscribers(db, c, comuniSpec[k].subscribers, {
      phoneBase: 3_200_000_000 + k * 1_000_000,
      tagged: comuniSpec[k].tagged ?? 0,
      inWindow: opts.inWindow,
    });
  }
  await db.query('VACUUM ANALYZE subscribers, contacts');
  const creds = await insertOperator(db);
  const sim = await startSimulator(opts.port + 1, opts.receipts ? 200 : 600_000);
  await registerOnSimulator(sim.url, fx, opts.port, { mps: (c) => comuniSpec[c.index].simMps ?? comuniSpec[c.index].cap, receipts: opts.receipts });
  const api = startProcess('api', 'apps/api/src/main.js', env);
  const workers = Array.from({ length: opts.workers }, () => startProcess('worker', 'apps/worker/src/main.js', env));
  await waitForHttp(`http://127.0.0.1:${opts.port}/health`, api);
  const client = await apiClient(`http://127.0.0.1:${opts.port}`, creds);
  for (const c of fx.comuni) await setUpTemplates(client, c);
  await sleep(1500); // the worker's queues are connected
  const procs = [api, ...workers, sim.proc];
  return {
    workers,
    env,
    db,
    fx,
    sim,
    api: client,
    procs,
    async tearDown() {
      for (const p of procs) await p.stop();
      await db.end();
      await clearRedisPrefix(env.REDIS_KEY_PREFIX);
    },
  };
}

/** The send errors every worker logged, by code, summed. */
function workerSendErrors(w) {
  const sum = {};
  for (const p of w.workers) for (const [k, v] of Object.entries(sendErrors(p.logPath))) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

/** Waits until every campaign is completed (Postgres says so; the rates come from the simulator). */
async function waitCompleted(db, pairs, label) {
  const t0 = Date.now();
  let lastLog = 0;
  for (;;) {
    // One query for all of them (one client runs one query at a time), every 250 ms.
    const byId = new Map(
      (await db.query(`SELECT id, status FROM campaigns WHERE id = ANY($1::uuid[])`, [pairs.map((p) => p[1])])).rows.map((r) => [r.id, r.status]),
    );
    const states = pairs.map(([, id]) => byId.get(id));
    if (states.every((s) => s === 'completed' || s === 'failed' || s === 'cancelled'))
      return { completed: states.every((s) => s === 'completed'), states };
    if (Date.now() - t0 > opts.timeoutS * 1000) return { completed: false, states };
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      const left = (
        await db.query(`SELECT count(*) AS n FROM outbound_messages WHERE campaign_id = ANY($1::uuid[]) AND status IN ('queued', 'sending')`, [
          pairs.map((p) => p[1]),
        ])
      ).rows[0].n;
      log(`  ${label}: ${Math.round((Date.now() - t0) / 1000)} s, ${left} messages still queued or sending`);
    }
    await sleep(250);
  }
}

async function failedRows(db, ids) {
  return (
    await db.query(
      `SELECT status, error_code AS code, count(*)::int AS n FROM outbound_messages WHERE campaign_id = ANY($1::uuid[]) AND status NOT IN ('accepted', 'sent', 'delivered', 'read')
        GROUP BY status, error_code`,
      [ids],
    )
  ).rows;
}

const quiet = async () => (opts.waitQuiet ? waitForQuiet({ timeoutMs: opts.quietTimeoutS * 1000, log }) : null);

/** Sends one campaign through the api, waits for it, and measures it at the simulator. */
async function sendAndMeasure(w, c, { title, priority, tags, expected, beside }) {
  const id = await createCampaign(w.api, c, { title, priority, tags });
  const q = await quiet();
  const cpu = cpuSampler(w.procs, dbName(w.env.DATABASE_URL));
  const t0 = Date.now();
  await w.api.post(`/api/v1/tenants/${c.slug}/campaigns/${id}/send`);
  const ackMs = Date.now() - t0;
  // Traffic beside the campaign (citizens writing), from the send until the campaign completes.
  const besideRun = beside?.();
  const done = await waitCompleted(w.db, [[c, id]], title);
  const besideResult = await besideRun?.stop();
  const usage = cpu.stop();
  const msgs = (await simMessages(w.sim.url, [c.phoneNumberId])).filter((m) => m.at >= t0 - 50);
  return {
    id,
    expected,
    sendAckMs: ackMs,
    done,
    sim: rateOf(msgs, t0),
    cpu: usage,
    quietBefore: q,
    notAccepted: await failedRows(w.db, [id]),
    ...(besideResult ? { beside: besideResult } : {}),
  };
}

async function scenarioA() {
  log(`scenario a: platform ceiling, ${fmt(opts.ceilingRecipients)} recipients, number and simulator at 10,000 msg/s`);
  const warmup = Math.min(opts.ceilingWarmup, opts.ceilingRecipients);
  const w = await setUp([{ cap: 10_000, subscribers: opts.ceilingRecipients, tagged: warmup }]);
  try {
    const c = w.fx.comuni[0];
    // The processes were just started: a first campaign runs their code cold (interpreted, not yet
    // optimised) and opens their pools. A deployment's workers are warm; the fan-out bench
    // likewise leaves its first run out.
    let warm = null;
    if (warmup > 0) {
      warm = await sendAndMeasure(w, c, { title: 'Warm-up', tags: ['zona_rossa'], expected: warmup });
      log(
        `  warm-up: ${fmt(warm.sim.count)} messages, ${fmt(warm.sim.endToEndPerSecond)} msg/s end to end, first after ${warm.sim.firstAfterSendMs} ms`,
      );
      await sleep(2000);
    }
    const r = await sendAndMeasure(w, c, { title: 'Ceiling', expected: opts.ceilingRecipients });
    r.warmup = warm && { recipients: warmup, sim: warm.sim, done: warm.done };
    r.workerErrors = workerSendErrors(w);
    r.ratioToTarget = r.sim.endToEndPerSecond / TARGETS.ceiling;
    r.cpuMicrosPerMessage = cpuPerMessage(r.cpu, r.sim.count);
    return r;
  } finally {
    await w.tearDown();
    for (const p of w.procs) log(`  ${p.name} log: ${p.logPath} ${JSON.stringify(logSummary(p.logPath).counts)}`);
  }
}

/**
 * Citizens of comune `c` (its seeded subscribers, from `phoneBase`) writing to its number at
 * `perSecond` messages a second through the simulator (`POST /_sim/inbound`, which posts the
 * webhook to the api), until stopped.
 */
function citizensWriting(simUrl, c, perSecond, phoneBase, subscribers) {
  const t0 = Date.now();
  let started = 0;
  let delivered = 0;
  let failed = 0;
  const inflight = new Set();
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - t0) / 1000) * perSecond);
    for (; started < due; started++) {
      const from = `39${phoneBase + Math.floor(Math.random() * subscribers)}`;
      const p = simCall(simUrl, 'POST', '/_sim/inbound', {
        phoneNumberId: c.phoneNumberId,
        from,
        profileName: 'Cittadino',
        message: { type: 'text', text: "Grazie per l'avviso, ricevuto" },
      }).then(
        () => void delivered++,
        () => void failed++,
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
  }, 5);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inflight);
      const seconds = (Date.now() - t0) / 1000;
      return { messages: delivered, failed, perSecond: delivered / seconds };
    },
  };
}

async function scenarioB() {
  log(`scenario b: ${fmt(opts.bigRecipients)} at ${opts.bigCap} msg/s, then ${fmt(opts.smallRecipients)} at 80 msg/s`);
  const w = await setUp([
    { cap: opts.bigCap, subscribers: opts.bigRecipients },
    { cap: 80, subscribers: opts.smallRecipients },
  ]);
  try {
    const out = [];
    for (const [k, c] of w.fx.comuni.entries()) {
      const errorsBefore = workerSendErrors(w);
      const writing = k === 1 && opts.inboundRate > 0;
      const r = await sendAndMeasure(w, c, {
        title: `Saturated ${c.mpsCap}`,
        expected: k === 0 ? opts.bigRecipients : opts.smallRecipients,
        beside: writing ? () => citizensWriting(w.sim.url, c, opts.inboundRate, 3_200_000_000 + k * 1_000_000, opts.smallRecipients) : undefined,
      });
      const errorsAfter = workerSendErrors(w);
      r.cap = c.mpsCap;
      r.workerErrors = Object.fromEntries(Object.entries(errorsAfter).map(([key, v]) => [key, v - (errorsBefore[key] ?? 0)]));
      r.throughputErrors = Object.entries(r.workerErrors)
        .filter(([key]) => key.endsWith(':130429'))
        .reduce((a, [, v]) => a + v, 0);
      r.sendAttempts = r.sim.count + Object.values(r.workerErrors).reduce((a, v) => a + v, 0);
      r.throughputErrorShare = r.throughputErrors / r.sendAttempts;
      r.capRatio = r.sim.steadyPerSecond / c.mpsCap;
      r.capRatioEndToEnd = r.sim.endToEndPerSecond / c.mpsCap;
      // With citizens writing, Meta's count is their messages and the sends together.
      if (r.beside) r.withInboundRatio = (r.sim.steadyPerSecond + r.beside.perSecond) / c.mpsCap;
      out.push(r);
      log(
        `  cap ${c.mpsCap}: ${fmt(r.sim.steadyPerSecond, 1)} msg/s steady (${pct(r.capRatio)}), first after ${r.sim.firstAfterSendMs} ms, 130429 x ${r.throughputErrors}`,
      );
    }
    return out;
  } finally {
    await w.tearDown();
    for (const p of w.procs) log(`  ${p.name} log: ${p.logPath} ${JSON.stringify(logSummary(p.logPath).counts)}`);
  }
}

async function scenarioC() {
  log(
    `scenario c: ${opts.comuni} comuni x ${fmt(opts.perComune)} at 80 msg/s, emergency of ${opts.emergency} on the first at +${opts.emergencyAtS} s`,
  );
  const spec = Array.from({ length: opts.comuni }, (_, k) => ({ cap: 80, subscribers: opts.perComune, tagged: k === 0 ? opts.emergency : 0 }));
  const w = await setUp(spec);
  try {
    const first = w.fx.comuni[0];
    // 1. The emergency alone (the same comune, number and audience), as the reference.
    const alone = await sendAndMeasure(w, first, {
      title: 'Emergenza (sola)',
      priority: 'emergency',
      tags: ['zona_rossa'],
      expected: opts.emergency,
    });
    alone.completionSeconds = alone.sim.endToEndSeconds;
    log(`  emergency alone: ${fmt(alone.completionSeconds, 2)} s, first after ${alone.sim.firstAfterSendMs} ms`);
    await sleep(3000);

    // 2. Every comune's newsletter, then the emergency mid-run.
    const ids = [];
    for (const c of w.fx.comuni) ids.push(await createCampaign(w.api, c, { title: 'Notiziario' }));
    const emergencyId = await createCampaign(w.api, first, { title: 'Emergenza', priority: 'emergency', tags: ['zona_rossa'] });
    const q = await quiet();
    const cpu = cpuSampler(w.procs, dbName(w.env.DATABASE_URL));
    const t0 = Date.now();
    const sentAt = [];
    for (const [k, c] of w.fx.comuni.entries()) {
      sentAt.push(Date.now());
      await w.api.post(`/api/v1/tenants/${c.slug}/campaigns/${ids[k]}/send`);
    }
    const allSentMs = Date.now() - t0;
    await sleep(Math.max(0, t0 + opts.emergencyAtS * 1000 - Date.now()));
    const te = Date.now();
    await w.api.post(`/api/v1/tenants/${first.slug}/campaigns/${emergencyId}/send`);
    const done = await waitCompleted(w.db, [...w.fx.comuni.map((c, k) => [c, ids[k]]), [first, emergencyId]], 'newsletters + emergency');
    const usage = cpu.stop();
    const msgs = (
      await simMessages(
        w.sim.url,
        w.fx.comuni.map((c) => c.phoneNumberId),
      )
    ).filter((m) => m.at >= t0 - 50);
    const emergencyRows = new Set(
      (await w.db.query(`SELECT id FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2`, [first.tenantId, emergencyId])).rows.map(
        (r) => r.id,
      ),
    );
    const emergencyMsgs = msgs.filter((m) => emergencyRows.has(m.corr));
    const emergency = rateOf(emergencyMsgs, te);
    const perNumber = w.fx.comuni.map((c, k) => ({
      slug: c.slug,
      cap: c.mpsCap,
      ...rateOf(
        msgs.filter((m) => m.phoneNumberId === c.phoneNumberId),
        sentAt[k],
      ),
    }));
    const sumCaps = w.fx.comuni.reduce((a, c) => a + c.mpsCap, 0);
    const sumRates = perNumber.reduce((a, p) => a + (p.steadyPerSecond ?? 0), 0);
    // Whole-run view: every message over the time from the first send to the last acceptance, against all caps.
    const whole = rateOf(msgs, t0);
    // The first number's normal traffic during the emergency (pre-emption).
    const firstNormalDuring = msgs.filter(
      (m) =>
        m.phoneNumberId === first.phoneNumberId && !emergencyRows.has(m.corr) && m.at >= emergencyMsgs[0]?.at && m.at <= emergencyMsgs.at(-1)?.at,
    ).length;
    return {
      alone,
      mixed: {
        done,
        allSentMs,
        emergencyStartedAfterS: (te - t0) / 1000,
        emergency,
        emergencyCompletionSeconds: emergency.endToEndSeconds,
        emergencyRatio: emergency.endToEndSeconds / alone.completionSeconds,
        normalMessagesOnThatNumberDuringEmergency: firstNormalDuring,
        perNumber: perNumber.map((p) => ({
          slug: p.slug,
          count: p.count,
          duplicates: p.duplicates,
          steadyPerSecond: p.steadyPerSecond,
          firstAfterSendMs: p.firstAfterSendMs,
          spanSeconds: p.spanSeconds,
        })),
        sumOfCaps: sumCaps,
        sumOfSteadyRates: sumRates,
        aggregateRatio: sumRates / sumCaps,
        whole: {
          count: whole.count,
          duplicates: whole.duplicates,
          endToEndSeconds: whole.endToEndSeconds,
          endToEndPerSecond: whole.endToEndPerSecond,
        },
        wholeRatio: whole.endToEndPerSecond / sumCaps,
        workerErrors: workerSendErrors(w),
        notAccepted: await failedRows(w.db, [...ids, emergencyId]),
        cpu: usage,
        quietBefore: q,
      },
    };
  } finally {
    await w.tearDown();
    for (const p of w.procs) log(`  ${p.name} log: ${p.logPath} ${JSON.stringify(logSummary(p.logPath).counts)}`);
  }
}

const cpuLine = (c) =>
  Object.entries(c.cores)
    .filter(([k]) => k !== 'machine')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

const cpuPerMessageLine = (us) =>
  ['worker', 'simulator', 'postgres', 'redis', 'machine']
    .filter((k) => us[k] !== undefined)
    .map((k) => `${k === 'machine' ? 'all' : k} ${us[k]}`)
    .join(', ');

async function main() {
  const machine = machineInfo();
  log(`load average before: ${machine.loadavg}`);
  const results = { bench: 'campaign-dispatch', machine, options: opts, targets: TARGETS };
  const out = [
    '',
    `campaign-dispatch, ${machine.date}, ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}`,
    `recipients ${opts.inWindow ? 'inside the 24 h window: free text' : 'outside the 24 h window: the approved UTILITY template'}; status webhooks ${opts.receipts ? 'posted to the api' : 'held back'}`,
    '',
  ];
  if (opts.scenarios.includes('a')) {
    const a = (results.a = await scenarioA());
    out.push(
      table(
        `(a) platform ceiling: ${fmt(a.expected)} recipients, number and simulator at 10,000 msg/s${opts.workers > 1 ? `, ${opts.workers} worker processes` : ''}`,
        [
          [
            'warm-up campaign first (not measured)',
            a.warmup
              ? `${fmt(a.warmup.recipients)} recipients: ${fmt(a.warmup.sim.endToEndPerSecond)} msg/s end to end, first after ${a.warmup.sim.firstAfterSendMs} ms`
              : 'none',
          ],
          ['accepted by the simulator / recipients', `${fmt(a.sim.count)} / ${fmt(a.expected)}`],
          ['duplicates (same outbound id twice)', fmt(a.sim.duplicates)],
          ['msg/s end to end (send click -> last accepted)', fmt(a.sim.endToEndPerSecond)],
          ['msg/s steady (first -> last accepted)', fmt(a.sim.steadyPerSecond)],
          ['per second min / median / max', `${a.sim.perSecondMin} / ${a.sim.perSecondMedian} / ${a.sim.perSecondMax}`],
          ['first message after send (ms)', fmt(a.sim.firstAfterSendMs)],
          ['message types', JSON.stringify(a.sim.types)],
          ['worker send warnings', JSON.stringify(a.workerErrors)],
          ['CPU cores busy', cpuLine(a.cpu)],
          ['CPU per message (µs)', cpuPerMessageLine(a.cpuMicrosPerMessage)],
          [`ratio to ${fmt(TARGETS.ceiling)} msg/s`, pct(a.ratioToTarget)],
        ],
      ),
      '',
    );
  }
  if (opts.scenarios.includes('b')) {
    results.b = await scenarioB();
    for (const r of results.b) {
      out.push(
        table(`(b) one number saturated: ${fmt(r.expected)} recipients at ${fmt(r.cap)} msg/s`, [
          ['accepted by the simulator / recipients', `${fmt(r.sim.count)} / ${fmt(r.expected)}`],
          ['duplicates', fmt(r.sim.duplicates)],
          ['msg/s steady (first -> last accepted)', fmt(r.sim.steadyPerSecond, 1)],
          ['msg/s end to end (send click -> last)', fmt(r.sim.endToEndPerSecond, 1)],
          ['per second min / median / max', `${r.sim.perSecondMin} / ${r.sim.perSecondMedian} / ${r.sim.perSecondMax}`],
          [`steady rate / cap (target >= ${TARGETS.capRatio})`, fmt(r.capRatio, 3)],
          ['end-to-end rate / cap', fmt(r.capRatioEndToEnd, 3)],
          [
            'throughput errors 130429 / send attempts',
            `${fmt(r.throughputErrors)} / ${fmt(r.sendAttempts)} = ${pct(r.throughputErrorShare)} (target <= 0.5 %)`,
          ],
          [`first message after send (target < ${TARGETS.firstMs} ms)`, `${fmt(r.sim.firstAfterSendMs)} ms (POST answered after ${r.sendAckMs} ms)`],
          ['worker send warnings', JSON.stringify(r.workerErrors)],
          ...(r.beside
            ? [
                [
                  "citizens' messages beside: delivered / failed (msg/s)",
                  `${fmt(r.beside.messages)} / ${fmt(r.beside.failed)} (${fmt(r.beside.perSecond, 1)})`,
                ],
                ["(sends + citizens' messages) / cap", fmt(r.withInboundRatio, 3)],
              ]
            : []),
          ['rows not accepted', JSON.stringify(r.notAccepted)],
          ['CPU cores busy', cpuLine(r.cpu)],
        ]),
        '',
      );
    }
  }
  if (opts.scenarios.includes('c')) {
    const c = (results.c = await scenarioC());
    const m = c.mixed;
    out.push(
      table(
        `(c) ${opts.comuni} comuni x ${fmt(opts.perComune)} at 80 msg/s, emergency of ${opts.emergency} at +${fmt(m.emergencyStartedAfterS, 1)} s`,
        [
          ['accepted / expected', `${fmt(m.whole.count)} / ${fmt(opts.comuni * opts.perComune + opts.emergency)}`],
          ['duplicates', fmt(m.whole.duplicates)],
          [
            'sum of per-number steady rates / sum of caps',
            `${fmt(m.sumOfSteadyRates, 1)} / ${fmt(m.sumOfCaps)} = ${fmt(m.aggregateRatio, 3)} (target >= ${TARGETS.aggregate})`,
          ],
          [
            'per-number steady rate min / max',
            `${fmt(Math.min(...m.perNumber.map((p) => p.steadyPerSecond)), 1)} / ${fmt(Math.max(...m.perNumber.map((p) => p.steadyPerSecond)), 1)}`,
          ],
          ['whole run: all messages / (first send -> last) / sum of caps', fmt(m.wholeRatio, 3)],
          ['20 send POSTs took (ms)', fmt(m.allSentMs)],
          ['emergency alone: send -> last accepted (s)', fmt(c.alone.completionSeconds, 2)],
          ['emergency mid-run: send -> last accepted (s)', fmt(m.emergencyCompletionSeconds, 2)],
          [`ratio mid-run / alone (target <= ${TARGETS.emergencyRatio})`, fmt(m.emergencyRatio, 3)],
          ['emergency first message after send, alone / mid-run (ms)', `${c.alone.sim.firstAfterSendMs} / ${m.emergency.firstAfterSendMs}`],
          ["that number's newsletter messages during the emergency", fmt(m.normalMessagesOnThatNumberDuringEmergency)],
          ['worker send warnings', JSON.stringify(m.workerErrors)],
          ['rows not accepted', JSON.stringify(m.notAccepted)],
          ['CPU cores busy', cpuLine(m.cpu)],
        ],
      ),
      '',
    );
  }
  out.push(`JSON ${JSON.stringify(results)}`, '');
  process.stdout.write(out.join('\n'));
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
