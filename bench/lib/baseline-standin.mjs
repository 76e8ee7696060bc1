// The dispatch baseline's stand-in for the Graph API (bench/dispatch-baseline.mjs): a bare node:http
// server that reads each POST body, parses it and answers like Meta's /messages, with no checks,
// no state and no status webhooks. It counts what it accepted and when (GET /count).
import { createServer } from 'node:http';

const port = Number(process.env.STANDIN_PORT ?? 0);
let count = 0;
let first = null;
let last = null;
let seq = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ count, first, last }));
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    count = 0;
    first = last = null;
    res.end('{}');
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let to = '';
    try {
      to = JSON.parse(Buffer.concat(chunks).toString('utf8')).to ?? '';
    } catch {
      res.statusCode = 400;
      res.end('{"error":{"message":"not JSON","code":100}}');
      return;
    }
    const now = Date.now();
    count += 1;
    first ??= now;
    last = now;
    seq += 1;
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        messaging_product: 'whatsapp',
        contacts: [{ input: to, wa_id: to }],
        messages: [{ id: `wamid.baseline${seq.toString(36).padStart(12, '0')}`, message_status: 'accepted' }],
      }),
    );
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
