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
 * With `prefix`, the names are `"prefix.property"`: two entities in one row, taken apart with
 * {@link prefixed}.
 */
export function entityColumns(m: EntityManager, entity: EntityTarget<ObjectLiteral>, alias: string, prefix = ''): string {
  return m.connection
    .getMetadata(entity)
    .columns.map((c) => `${alias}.${c.databaseName} AS "${prefix}${c.propertyName}"`)
    .join(', ');
}

/** The fields of a row named `prefix.property`, as `property`; null when its `prefix.id` is null (a LEFT JOIN that found nothing). */
export function prefixed<T>(row: Record<string, unknown>, prefix: string): Partial<T> | null {
  if (row[`${prefix}.id`] === null || row[`${prefix}.id`] === undefined) return null;
  const out: Record<string, unknown> = {};
  const start = prefix.length + 1;
  for (const key in row) if (key.startsWith(prefix) && key.charCodeAt(prefix.length) === 46) out[key.slice(start)] = row[key];
  return out as Partial<T>;
}
