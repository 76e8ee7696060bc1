import pg from 'pg';
import type { AppConfig } from '#common';
import { runMigrations } from '#database';

/** Applies the real migrations; suites in parallel workers wait on the runner's advisory lock. */
export async function migrateTestDatabase(config: AppConfig): Promise<void> {
  await runMigrations(config);
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
