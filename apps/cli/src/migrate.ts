import pg from 'pg';
import { runMigrations, safeDbTarget } from '#database';
import type { AppConfig } from '#common';

/** Creates the database named in DATABASE_URL when it does not exist yet (a fresh machine). */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) throw new Error(`DATABASE_URL names an unusual database "${name}"; create it by hand`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${name}"`);
    return true;
  } finally {
    await client.end();
  }
}

/** Creates the database when missing, then applies pending migrations; returns the names applied. */
export async function migrate(config: AppConfig, log: (line: string) => void = () => undefined): Promise<string[]> {
  if (await ensureDatabaseExists(config.database.url)) log(`created database ${safeDbTarget(config.database.url)}`);
  return runMigrations(config);
}
