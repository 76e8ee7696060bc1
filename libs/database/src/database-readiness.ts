import type { AppConfig } from '#common';
import { createDataSource } from './data-source.js';
import { whileDatabaseUnavailable } from './database-unavailable.js';

export class DatabaseNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseNotReadyError';
  }
}

/**
 * Checked before a process starts serving: the database answers and has no pending migration.
 * Each failure is one line that says which command fixes it.
 */
export async function assertDatabaseReady(config: AppConfig, onWait?: (err: unknown) => void): Promise<void> {
  let ds;
  try {
    // A new DataSource for each attempt: one whose initialize() failed is not used again.
    ds = await waitForDatabase(() => createDataSource(config, 'migrations').initialize(), { onWait });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const where = safeDbTarget(config.database.url);
    if (code === '3D000') {
      throw new DatabaseNotReadyError(`database ${where} does not exist: run "npm run db:migrate" (it creates it)`);
    }
    throw new DatabaseNotReadyError(
      `PostgreSQL at ${where} is not reachable (${(err as Error).message}): start it (local service, or "docker compose up -d postgres")`,
    );
  }
  try {
    const pending = await ds.showMigrations();
    if (pending) {
      throw new DatabaseNotReadyError(`database ${safeDbTarget(config.database.url)} has pending migrations: run "npm run db:migrate"`);
    }
  } finally {
    await ds.destroy();
  }
}

/** How long a process that starts waits for a PostgreSQL that is restarting or not yet reachable. */
export const STARTUP_WAIT_MS = 60_000;

/**
 * Runs `connect` again every `delayMs`, for up to `budgetMs`, while PostgreSQL is starting up,
 * shutting down or unreachable (whileDatabaseUnavailable); `onWait` hears of the first such
 * failure. A worker restarted during a database restart waits for it instead of exiting: three did
 * so in ten fault runs, met by 'starting up', a refused connection and a reset one. Anything else
 * (a missing database, bad credentials), or the last failure, is thrown. (`npm start` checks the
 * services beforehand and stops at once, with one line, if one is down.)
 */
export function waitForDatabase<T>(
  connect: () => Promise<T>,
  opts: { budgetMs?: number; delayMs?: number; sleep?: (ms: number) => Promise<void>; onWait?: (err: unknown) => void } = {},
): Promise<T> {
  return whileDatabaseUnavailable(connect, {
    budgetMs: opts.budgetMs ?? STARTUP_WAIT_MS,
    delaysMs: [opts.delayMs ?? 500],
    sleep: opts.sleep,
    onRetry: (err, attempt) => {
      if (attempt === 1) opts.onWait?.(err);
    },
  });
}

/** Like {@link assertDatabaseReady}, but a failure stops the process with its one line. */
export async function assertDatabaseReadyOrExit(config: AppConfig, processName: string): Promise<void> {
  try {
    await assertDatabaseReady(config, (err) =>
      process.stderr.write(
        `${processName}: waiting for PostgreSQL at ${safeDbTarget(config.database.url)} (${(err as Error).message}), up to ${STARTUP_WAIT_MS / 1000} s\n`,
      ),
    );
  } catch (err) {
    if (err instanceof DatabaseNotReadyError) {
      process.stderr.write(`${processName}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Any fixed number: the key of the advisory lock that serialises migration runs. */
const MIGRATION_LOCK_KEY = 7_242_001;

/**
 * Applies pending migrations as the schema owner and returns their names. An advisory lock makes
 * concurrent runs (two `npm start`s, several containers, parallel test workers) wait for each other
 * instead of applying the same migration twice.
 */
export async function runMigrations(config: AppConfig): Promise<string[]> {
  const ds = createDataSource(config, 'migrations');
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
    await ds.destroy();
  }
}

/** host:port/db of a connection URL, without the credentials. */
export function safeDbTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
