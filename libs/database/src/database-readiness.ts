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

/** host:port/db of a connection URL, without the credentials. */
export function safeDbTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
