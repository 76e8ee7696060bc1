// Fails fast, with one line, when PostgreSQL or Redis is not reachable: used by `npm start` and
// `npm test` before anything slow happens. Reads DATABASE_URL / REDIS_URL from the environment or
// .env, with the same defaults as the application.
import net from 'node:net';

try {
  process.loadEnvFile('.env');
} catch {
  // no .env: defaults apply
}

const services = [
  ['PostgreSQL', process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/araldo', 5432, 'postgres'],
  ['Redis', process.env.REDIS_URL || 'redis://127.0.0.1:6379', 6379, 'redis'],
];

function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

let failed = false;
for (const [name, url, defaultPort, composeService] of services) {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || defaultPort);
  if (!(await reachable(host, port))) {
    failed = true;
    process.stderr.write(`${name} is not reachable at ${host}:${port}: start it (local service, or "docker compose up -d ${composeService}")\n`);
  }
}
process.exit(failed ? 1 : 0);
