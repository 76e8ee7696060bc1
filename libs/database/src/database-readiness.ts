import type { AppConfig } from '#common';
import { createDataSource } from './data-source.js';

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
export async function assertDatabaseReady(config: AppConfig): Promise<void> {
  const ds = createDataSource(config, 'migrations');
  try {
    await ds.initialize();
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

/** Like {@link assertDatabaseReady}, but a failure stops the process with its one line. */
export async function assertDatabaseReadyOrExit(config: AppConfig, processName: string): Promise<void> {
  try {
    await assertDatabaseReady(config);
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
