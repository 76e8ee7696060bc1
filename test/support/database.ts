import pg from 'pg';
import type { AppConfig } from '#common';
import { createDataSource } from '#database';

/** Applies the real migrations once per run; suites in parallel workers wait on an advisory lock. */
export async function migrateTestDatabase(config: AppConfig): Promise<void> {
  const lock = new pg.Client({ connectionString: config.database.url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock(424242)');
    const ds = createDataSource(config, 'migrations');
    await ds.initialize();
    try {
      await ds.runMigrations({ transaction: 'each' });
    } finally {
      await ds.destroy();
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock(424242)').catch(() => undefined);
    await lock.end();
  }
}

/** A raw client connected as the schema owner (bypasses RLS): for asserting what is stored. */
export async function ownerClient(config: AppConfig): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: config.database.url });
  await client.connect();
  return client;
}

/** A raw client acting as the application role, exactly as the app's pool does. */
export async function appRoleClient(config: AppConfig): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: config.database.url, options: '-c role=araldo_app' });
  await client.connect();
  return client;
}
