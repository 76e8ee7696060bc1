// The dispatch baseline's worker (bench/dispatch-baseline.mjs): the pipeline the brief's prototype
// measured, with nothing else. A Bull processor takes jobs of message ids; per job it claims the
// rows (one UPDATE ... RETURNING, so a row is sent at most once), POSTs each message to the stand-in
// over undici's keep-alive pool, all of the job's at once, and records the answers with one batched
// UPDATE. No pacing, no templates, no tenants, no receipts.
import Queue from 'bull';
import pg from 'pg';
import { Pool } from 'undici';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is required`);
  return v;
};
const concurrency = Number(env('BASELINE_CONCURRENCY'));
const db = new pg.Pool({ connectionString: env('DATABASE_URL'), max: Number(process.env.BASELINE_DB_POOL ?? 10) });
const http = new Pool(env('STANDIN_URL'), { connections: Number(env('BASELINE_CONNECTIONS')), keepAliveTimeout: 30_000 });
const queue = new Queue('baseline', env('REDIS_URL'), { prefix: env('REDIS_PREFIX') });

async function send(row) {
  const res = await http.request({
    path: '/v25.0/109988776655443/messages',
    method: 'POST',
    headers: { authorization: 'Bearer baseline', 'content-type': 'application/json', accept: 'application/json' },
    body: row.body,
  });
  const json = await res.body.json();
  if (res.statusCode !== 200) throw new Error(`stand-in answered ${res.statusCode}`);
  return json.messages[0].id;
}

// --araldo-indexes: the table has updated_at and accepted_at, which araldo's statements set too.
const touch = process.env.BASELINE_ARALDO_INDEXES ? ', updated_at = now()' : '';
const accept = process.env.BASELINE_ARALDO_INDEXES ? ', updated_at = now(), accepted_at = now()' : '';

queue.process('send', concurrency, async (job) => {
  const claimed = await db.query(
    `UPDATE baseline_messages SET status = 'sending'${touch} WHERE id = ANY($1::bigint[]) AND status = 'queued' RETURNING id, body`,
    [job.data.ids],
  );
  const ids = claimed.rows.map((r) => r.id);
  const wamids = await Promise.all(claimed.rows.map(send));
  await db.query(
    `UPDATE baseline_messages m SET status = 'accepted', provider_message_id = a.wamid, sent_at = now()${accept}
       FROM unnest($1::bigint[], $2::text[]) AS a(id, wamid) WHERE m.id = a.id`,
    [ids, wamids],
  );
});

queue.on('error', (err) => process.stderr.write(`queue error: ${err.message}\n`));
queue.on('failed', (job, err) => process.stderr.write(`job ${job.id} failed: ${err.message}\n`));
await queue.isReady();
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await queue.close();
  await http.close();
  await db.end();
  process.exit(0);
});
