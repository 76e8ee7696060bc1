import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { migrateTestDatabase } from '../support/database.js';
import { testConfig } from '../support/test-config.js';

/**
 * The built entry points (npm test builds first), started as a person would start them. They run
 * in an empty folder so a developer's .env cannot fill in what the test leaves out.
 */
const root = resolve(import.meta.dirname, '..', '..');
const emptyDir = mkdtempSync(join(tmpdir(), 'araldo-'));

function start(entry: string, env: Record<string, string | undefined>) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['JWT_SECRET', 'ENCRYPTION_KEYS', 'NODE_OPTIONS'].includes(k)));
  return spawnSync(process.execPath, [join(root, entry)], { cwd: emptyDir, env: { ...base, ...env }, encoding: 'utf8', timeout: 20000 });
}

const apps = [
  ['api', 'dist/apps/api/src/main.js'],
  ['worker', 'dist/apps/worker/src/main.js'],
];

describe.each(apps)('the %s process', (_name, entry) => {
  it('stops with one line naming a missing variable', () => {
    const res = start(entry, { ENCRYPTION_KEYS: process.env.ENCRYPTION_KEYS });
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([
      'Invalid configuration: JWT_SECRET is required: a random string of at least 32 characters (npm start writes one to .env)',
    ]);
  });

  it('stops with one line naming an invalid variable', () => {
    const res = start(entry, { JWT_SECRET: process.env.JWT_SECRET, ENCRYPTION_KEYS: process.env.ENCRYPTION_KEYS, API_PORT: 'eighty' });
    expect(res.status).toBe(1);
    expect(res.stderr.trim()).toBe('Invalid configuration: API_PORT must be a TCP port between 1 and 65535');
  });

  it('refuses to start on a database that is missing or not migrated, saying which command fixes it', () => {
    const res = start(entry, {
      JWT_SECRET: process.env.JWT_SECRET,
      ENCRYPTION_KEYS: process.env.ENCRYPTION_KEYS,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/araldo_never_created',
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/does not exist: run "npm run db:migrate"/);
  });
});

describe('the worker process on SIGTERM', () => {
  // It must find a migrated database, whichever suite happens to run first.
  beforeAll(() => migrateTestDatabase(testConfig()));

  it('closes its queues and stops', async () => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS'));
    const child = spawn(process.execPath, [join(root, 'dist/apps/worker/src/main.js')], {
      cwd: emptyDir,
      env: { ...base, LOG_LEVEL: 'info', REDIS_KEY_PREFIX: `{araldo-test-sigterm-${process.pid}}` },
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) =>
      child.on('exit', (code, signal) => resolvePromise({ code, signal })),
    );
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('araldo worker started')) child.kill('SIGTERM');
    });
    const { code, signal } = await exited;
    // Nest re-raises the signal once the application has closed.
    expect(signal ?? code).toBe('SIGTERM');
    expect(out).toContain('"event":"worker_stopped"');
    expect(err).toBe('');
  });
});

describe('the simulator process', () => {
  it('stops with one line naming an invalid variable', () => {
    const res = start('dist/apps/simulator/src/main.js', { SIMULATOR_PORT: 'eighty' });
    expect(res.status).toBe(1);
    expect(res.stderr.trim()).toBe('Invalid configuration: SIMULATOR_PORT must be a TCP port between 0 and 65535');
  });

  it('serves Meta’s API and its control API once started, and stops on SIGTERM', async () => {
    const port = String(3900 + (process.pid % 90));
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS'));
    const child = spawn(process.execPath, [join(root, 'dist/apps/simulator/src/main.js')], {
      cwd: emptyDir,
      env: { ...base, SIMULATOR_PORT: port, LOG_LEVEL: 'info' },
    });
    const exited = new Promise<string>((r) => child.on('exit', (code, signal) => r(signal ?? String(code))));
    try {
      let health: Response | null = null;
      for (let i = 0; i < 100 && !health?.ok; i++) {
        await new Promise((r) => setTimeout(r, 100));
        health = await fetch(`http://127.0.0.1:${port}/_sim/health`).catch(() => null);
      }
      expect(health?.ok).toBe(true);
      const meta = await fetch(`http://127.0.0.1:${port}/v25.0/123/messages`, {
        method: 'POST',
        headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
        body: '{}',
      });
      expect(meta.status).toBeGreaterThanOrEqual(400);
      expect(((await meta.json()) as { error: { code: number } }).error.code).toEqual(expect.any(Number));
    } finally {
      child.kill('SIGTERM');
    }
    // Nest re-raises the signal once the application has closed.
    expect(await exited).toBe('SIGTERM');
  });
});
