import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Runs an UPDATE or DELETE ... RETURNING and gives back the returned rows. TypeORM's postgres
 * driver answers those commands with [rows, rowCount] rather than rows, unlike SELECT and INSERT.
 */
export async function returningRows<T>(m: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const raw: unknown = await m.query(sql, params);
  if (Array.isArray(raw) && raw.length === 2 && Array.isArray(raw[0]) && typeof raw[1] === 'number') return raw[0] as T[];
  return raw as T[];
}

/**
 * Every column of an entity as `alias.column AS "property"`, for a RETURNING or SELECT whose rows
 * become entities with `m.create` (no second query to read back what a statement just wrote).
 */
export function entityColumns(m: EntityManager, entity: EntityTarget<ObjectLiteral>, alias: string): string {
  return m.connection
    .getMetadata(entity)
    .columns.map((c) => `${alias}.${c.databaseName} AS "${c.propertyName}"`)
    .join(', ');
}
