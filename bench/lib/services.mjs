// A PostgreSQL and a Redis of the bench's own, for benchmarks that crash and restart them
// (campaign-faults.mjs): the shared instances on 5432 and 6379 are never touched. PostgreSQL is a
// fresh cluster (initdb, trust auth, user postgres) in a temporary directory; Redis a child process
// without persistence. Both are stopped and removed by `cleanUp()`, which also runs on SIGINT,
// SIGTERM and SIGHUP.
import { spawn, execFile } from 'node:child_process';
import { chownSync, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { sleep } from './harness.mjs';

const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Clean-up on exit and on signals, newest first.

const cleanups = [];
let cleaning = null;

/** Registers an async clean-up step; returns a function that unregisters it. */
export function onCleanUp(fn) {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Runs every registered step once (later calls wait for the first). */
export function cleanUp() {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const fn = cleanups.pop();
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`clean-up step failed: ${err.message}\n`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the bench's processes, PostgreSQL and Redis\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/** The first port from `preferred` on that nobody listens on (127.0.0.1). */
export async function freePort(preferred, tries = 50) {
  for (let port = preferred; port < preferred + tries; port++) {
    const free = await new Promise((res) => {
      const srv = createServer();
      srv.once('error', () => res(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${preferred}-${preferred + tries - 1}`);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/**
 * initdb into a temporary directory and start it on `port` (127.0.0.1, socket in the same
 * directory). PostgreSQL refuses to run as root: as root, the directory is given to the `postgres`
 * user and every command runs through `runuser -u postgres --`.
 */
export async function startPrivatePostgres({ port, bin = '/usr/lib/postgresql/15/bin', log = () => undefined }) {
  const base = mkdtempSync(join(tmpdir(), 'araldo-faults-pg-'));
  const data = join(base, 'data');
  const logFile = join(base, 'postgres.log');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(base, uid, gid);
  }
  const pg = (tool, args) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args));
  let running = false;
  let restarting = null;
  let stopping = null;
  onCleanUp(() => shutdown());

  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const options = `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  const start = () => pg('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '120', 'start']);
  const stop = (mode) => pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '120', 'stop']);
  // One shutdown, whether the run ends, fails or is interrupted (both may call it at once); a crash
  // restart in progress finishes first, so no server is left running behind it.
  const shutdown = () =>
    (stopping ??= (async () => {
      await restarting?.catch(() => undefined);
      if (running) await stop('fast').catch(() => stop('immediate'));
      running = false;
      rmSync(base, { recursive: true, force: true });
    })());
  await start();
  running = true;
  const version = (await pg('postgres', ['--version'])).stdout.trim();
  log(`private PostgreSQL on 127.0.0.1:${port} (${version}), data in ${data}`);
  return {
    port,
    dir: base,
    logFile,
    version,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    /**
     * A crash: `pg_ctl stop -m immediate` (no checkpoint, clients cut off), down for `downMs`,
     * then a start that replays the WAL. Returns how long it was unavailable.
     */
    crashRestart(downMs) {
      restarting = (async () => {
        const t0 = Date.now();
        await stop('immediate');
        running = false;
        await sleep(downMs);
        if (stopping) return Date.now() - t0;
        await start();
        running = true;
        return Date.now() - t0;
      })();
      return restarting;
    },
    stop: shutdown,
  };
}

// ---------------------------------------------------------------------------------------------
// Redis

/**
 * redis-server on `port` as a child process, nothing saved (`--save "" --appendonly no`): a
 * restart loses every key, as a Redis without persistence does.
 */
export async function startPrivateRedis({ port, log = () => undefined }) {
  const dir = mkdtempSync(join(tmpdir(), 'araldo-faults-redis-'));
  const logDir = join(tmpdir(), 'araldo-bench-logs');
  mkdirSync(logDir, { recursive: true });
  const url = `redis://127.0.0.1:${port}`;
  let child = null;
  let exited = null;
  let generation = 0;

  const launch = async () => {
    generation++;
    const out = createWriteStream(join(logDir, `redis-${port}-${Date.now()}-${generation}.log`));
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      for (let i = 0; ; i++) {
        if (child.exitCode !== null) throw new Error(`redis-server exited at start (port ${port} taken?)`);
        try {
          if (probe.status !== 'ready') await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          if (i > 100) throw new Error(`redis-server did not answer on ${url}`);
          await sleep(100);
        }
      }
    } finally {
      probe.disconnect();
    }
  };
  const kill = async (signal) => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await exited;
    }
  };

  let restarting = null;
  let stopping = null;
  const shutdown = () =>
    (stopping ??= (async () => {
      await restarting?.catch(() => undefined);
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    })());
  onCleanUp(shutdown);
  await launch();
  log(`private Redis on ${url}`);
  return {
    port,
    url,
    get pid() {
      return child?.pid;
    },
    /** SIGKILL, down for `downMs`, a new empty redis-server on the same port. Returns how long it was unavailable. */
    crashRestart(downMs) {
      restarting = (async () => {
        const t0 = Date.now();
        await kill('SIGKILL');
        await sleep(downMs);
        if (!stopping) await launch();
        return Date.now() - t0;
      })();
      return restarting;
    },
    stop: shutdown,
  };
}
