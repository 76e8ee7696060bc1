// Fixtures and helpers of the campaign benchmarks (campaign-fanout.mjs, campaign-dispatch.mjs):
// comuni with their numbers on a `simulator` provider app, subscribers and their contacts seeded with
// INSERT ... SELECT generate_series, an operator who signs in through the api, the simulator as a
// child process, and what the simulator's message log says about rates.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, sleep, startProcess } from './harness.mjs';

export const BENCH_APP_ID = 'araldo-bench-sim';

/**
 * One provider app of kind `simulator` (so the api and worker talk to SIMULATOR_BASE_URL, as for the
 * demo comuni) and `count` comuni, each with one number and its webhook route. Secrets encrypted with
 * the app's own SecretBox, as ProviderAppsService and NumbersService would.
 */
export async function insertComuni(db, env, count, { mpsCap, tier = 'unlimited', slugPrefix = 'comune-bench' }) {
  const { SecretBox, loadAppConfig } = await import(join(DIST, 'libs/common/src/index.js'));
  const box = new SecretBox(loadAppConfig(env).encryptionKeys);
  const appSecret = randomBytes(24).toString('base64url');
  const verifyToken = randomBytes(24).toString('base64url');
  const providerAppId = randomUUID();
  await db.query('BEGIN');
  await db.query(
    `INSERT INTO provider_apps (id, name, kind, app_id, app_secret_enc, app_secret_last4, verify_token_enc, verify_token_last4)
     VALUES ($1, 'Bench simulator app', 'simulator', $2, $3, $4, $5, $6)`,
    [providerAppId, BENCH_APP_ID, box.encrypt(appSecret), appSecret.slice(-4), box.encrypt(verifyToken), verifyToken.slice(-4)],
  );
  const comuni = [];
  for (let k = 0; k < count; k++) {
    const n = String(k + 1).padStart(2, '0');
    const c = {
      index: k,
      tenantId: randomUUID(),
      numberId: randomUUID(),
      slug: `${slugPrefix}-${n}`,
      phoneNumberId: `1099887766${String(55000 + k)}`,
      wabaId: `1048576001${String(12000 + k)}`,
      displayNumber: `+3933399${String(10000 + k)}`,
      accessToken: `EAAG${randomBytes(24).toString('base64url')}`,
      mpsCap: typeof mpsCap === 'function' ? mpsCap(k) : mpsCap,
    };
    await db.query(`INSERT INTO tenants (id, slug, display_name, status, mode) VALUES ($1, $2, $3, 'live', 'one_way')`, [
      c.tenantId,
      c.slug,
      `Comune di Bench ${n}`,
    ]);
    await db.query(
      `INSERT INTO whatsapp_numbers (tenant_id, id, provider_app_id, label, phone_number_id, display_number, waba_id,
                                     access_token_enc, access_token_last4, messaging_tier, mps_cap, status)
       VALUES ($1, $2, $3, 'Bench', $4, $5, $6, $7, $8, $9, $10, 'active')`,
      [
        c.tenantId,
        c.numberId,
        providerAppId,
        c.phoneNumberId,
        c.displayNumber,
        c.wabaId,
        box.encrypt(c.accessToken),
        c.accessToken.slice(-4),
        tier,
        c.mpsCap,
      ],
    );
    await db.query(`INSERT INTO phone_number_routes (phone_number_id, tenant_id, number_id) VALUES ($1, $2, $3)`, [
      c.phoneNumberId,
      c.tenantId,
      c.numberId,
    ]);
    comuni.push(c);
  }
  await db.query('COMMIT');
  return { providerAppId, appSecret, verifyToken, comuni };
}

/**
 * `n` active subscribers of the comune (first name set, activated a month ago, phones
 * +39 3xx from `phoneBase`), each with a contact on the comune's number; the first `tagged` carry
 * the tag `zona_rossa` (the emergency's audience). `inWindow`: the contacts wrote in the last hour,
 * so campaigns reach them with free text; otherwise they never wrote and get the approved template.
 */
export async function seedSubscribers(db, c, n, { phoneBase, tagged = 0, inWindow = false }) {
  await db.query(
    `INSERT INTO subscribers (tenant_id, id, phone_e164, wa_id, first_name, tags, status, source, activated_at, created_at, updated_at)
     SELECT $1, gen_random_uuid(), '+39' || ($2::bigint + i)::text, NULL, 'Mario',
            CASE WHEN i <= $4 THEN ARRAY['zona_rossa'] ELSE '{}'::text[] END,
            'active', 'import', now() - interval '30 days', now() - interval '30 days', now() - interval '30 days'
       FROM generate_series(1, $3) AS i`,
    [c.tenantId, phoneBase, n, tagged],
  );
  await db.query(
    `INSERT INTO contacts (tenant_id, id, number_id, wa_id, last_inbound_at)
     SELECT $1, gen_random_uuid(), $2, ltrim(s.phone_e164, '+'), CASE WHEN $3 THEN now() - interval '1 hour' END
       FROM subscribers s WHERE s.tenant_id = $1`,
    [c.tenantId, c.numberId, inWindow],
  );
}

/** An operator (acts for every comune) with an argon2id password, as UsersService.createOperator stores it. */
export async function insertOperator(db) {
  const argon2 = (await import('argon2')).default;
  const email = 'operator@bench.araldo.local';
  const password = `bench-${randomBytes(12).toString('base64url')}`;
  await db.query(`INSERT INTO users (id, tenant_id, email, display_name, password_hash, role) VALUES ($1, NULL, $2, 'Bench', $3, 'operator')`, [
    randomUUID(),
    email,
    await argon2.hash(password, { type: argon2.argon2id }),
  ]);
  return { email, password };
}

/** A small JSON client of the api, signed in as the operator. */
export async function apiClient(base, creds) {
  const call = async (method, path, body, token) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
    return parsed;
  };
  const { accessToken } = await call('POST', '/api/v1/auth/login', { email: creds.email, password: creds.password });
  return {
    post: (path, body = {}) => call('POST', path, body, accessToken),
    get: (path) => call('GET', path, undefined, accessToken),
  };
}

/** Starts the simulator from dist/ on its own port; its status webhooks go to the api only if `statusDelayMs` is short. */
export async function startSimulator(port, statusDelayMs) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    SIMULATOR_PORT: String(port),
    SIMULATOR_HOST: '127.0.0.1',
    SIMULATOR_PUBLIC_URL: `http://127.0.0.1:${port}`,
    SIMULATOR_STATUS_DELAY_MS: String(statusDelayMs),
    LOG_LEVEL: 'warn',
  };
  const sim = startProcess('simulator', 'apps/simulator/src/main.js', env);
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    try {
      const r = await fetch(`${url}/_sim/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 30_000) throw new Error(`simulator did not start; see ${sim.logPath}`);
    await sleep(200);
  }
  return { proc: sim, url };
}

export async function simCall(url, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`simulator ${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Registers the comuni's numbers on the simulator with its throughput cap (`mps`, 130429 above it),
 * an approved UTILITY template per WABA, and each number's status webhooks: with `receipts` off there
 * are none for accepted messages (the api does not get 3 webhooks per send, and the simulator keeps
 * no timer per message; before 2026-12-07 they were delayed by 10 minutes instead).
 */
export async function registerOnSimulator(simUrl, fx, apiPort, { mps, receipts }) {
  for (const c of fx.comuni) {
    await simCall(simUrl, 'POST', '/_sim/numbers', {
      phoneNumberId: c.phoneNumberId,
      wabaId: c.wabaId,
      displayPhoneNumber: c.displayNumber.slice(1),
      accessToken: c.accessToken,
      appSecret: fx.appSecret,
      webhookUrl: `http://127.0.0.1:${apiPort}/webhooks/whatsapp/${BENCH_APP_ID}`,
      mps: typeof mps === 'function' ? mps(c) : mps,
    });
    await simCall(simUrl, 'POST', '/_sim/templates', {
      wabaId: c.wabaId,
      name: 'avviso_bench',
      language: 'it',
      category: 'UTILITY',
      body: 'Gentile {{1}}, {{2}}. Comune di Bench.',
    });
    // No status webhook for a message accepted (stopAt 'accepted'): the simulator keeps no timer for
    // it either; an asynchronous failure would come only after 10 minutes.
    if (!receipts) await simCall(simUrl, 'POST', '/_sim/status-behaviour', { phoneNumberId: c.phoneNumberId, stopAt: 'accepted', delayMs: 600_000 });
  }
}

/** Through the api, as an operator: sync the approved template and create the comune's message template linked to it. */
export async function setUpTemplates(api, c) {
  await api.post(`/api/v1/tenants/${c.slug}/whatsapp-templates/sync`);
  const t = await api.post(`/api/v1/tenants/${c.slug}/message-templates`, {
    name: 'Avviso bench',
    body: 'Gentile {{nome}}, {{avviso}}. Il {{comune}} ringrazia.',
    whatsappTemplate: { name: 'avviso_bench', language: 'it', bodyParameters: ['nome', 'avviso'] },
  });
  c.messageTemplateId = t.id;
}

/** Creates a campaign through the api (draft), template + variables, all active subscribers or the tagged ones. */
export async function createCampaign(api, c, { title, priority = 'normal', tags }) {
  const body = {
    title,
    messageTemplateId: c.messageTemplateId,
    variables: { avviso: priority === 'emergency' ? 'allerta meteo rossa: evitate gli spostamenti' : 'via Roma chiusa domani dalle 8 alle 18' },
    priority,
    audience: tags ? { tags } : {},
  };
  return (await api.post(`/api/v1/tenants/${c.slug}/campaigns`, body)).id;
}

/** Every message the simulator accepted for these numbers: GET /_sim/messages per number, once, after the run. */
export async function simMessages(simUrl, phoneNumberIds) {
  const out = [];
  for (const id of phoneNumberIds) {
    const list = await simCall(simUrl, 'GET', `/_sim/messages?phoneNumberId=${encodeURIComponent(id)}`);
    for (const m of list)
      out.push({
        phoneNumberId: m.phoneNumberId,
        to: m.to,
        type: m.type,
        corr: m.bizOpaqueCallbackData,
        at: Date.parse(m.acceptedAt),
        wamid: m.wamid,
        heldMs: m.responseHeldMs ?? null,
      });
  }
  out.sort((a, b) => a.at - b.at);
  return out;
}

/**
 * Rates of a set of accepted messages (simulator clock, ms): the steady rate from the first to the
 * last acceptance, the end-to-end rate from `t0` (the send click), per-second counts, duplicates.
 */
export function rateOf(msgs, t0) {
  if (msgs.length === 0) return { count: 0 };
  const first = msgs[0].at;
  const last = msgs[msgs.length - 1].at;
  const perSecond = [];
  for (const m of msgs) {
    const s = Math.floor((m.at - first) / 1000);
    perSecond[s] = (perSecond[s] ?? 0) + 1;
  }
  const full = perSecond.slice(0, -1).map((v) => v ?? 0);
  const sorted = [...full].sort((a, b) => a - b);
  const byCorr = new Map();
  for (const m of msgs) byCorr.set(m.corr, (byCorr.get(m.corr) ?? 0) + 1);
  const byTo = new Set(msgs.map((m) => m.to));
  return {
    count: msgs.length,
    distinctRecipients: byTo.size,
    duplicates: msgs.length - byCorr.size,
    firstAfterSendMs: t0 !== undefined ? first - t0 : undefined,
    spanSeconds: (last - first) / 1000,
    steadyPerSecond: msgs.length > 1 ? (msgs.length - 1) / ((last - first) / 1000) : null,
    endToEndSeconds: t0 !== undefined ? (last - t0) / 1000 : undefined,
    endToEndPerSecond: t0 !== undefined ? msgs.length / ((last - t0) / 1000) : undefined,
    fullSeconds: full.length,
    perSecondMin: sorted[0] ?? null,
    perSecondMedian: sorted.length ? sorted[Math.floor(sorted.length / 2)] : null,
    perSecondMax: sorted[sorted.length - 1] ?? null,
    perSecond: full,
    types: msgs.reduce((acc, m) => ((acc[m.type] = (acc[m.type] ?? 0) + 1), acc), {}),
  };
}

/** 130429 (throughput) and other send errors the worker logged as retries, by code (worker log, warn level). */
export function sendErrors(logPath) {
  const byCode = {};
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.includes('"send_')) continue;
    try {
      const o = JSON.parse(line);
      const key = `${o.event}:${o.code ?? 'none'}`;
      // A batch's 130429s are one line with their count.
      byCode[key] = (byCode[key] ?? 0) + (Number.isInteger(o.count) ? o.count : 1);
    } catch {
      // not JSON
    }
  }
  return byCode;
}
