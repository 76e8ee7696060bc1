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
 * become entities with `m.create` or {@link entityFrom} (no second query to read back what a
 * statement just wrote). With a `prefix` such as `'contact.'`, the names are `"contact.property"`:
 * two entities in one row, taken apart with entityFrom (or {@link prefixed} for a few columns).
 */
export function entityColumns(m: EntityManager, entity: EntityTarget<ObjectLiteral>, alias: string, prefix = ''): string {
  return m.connection
    .getMetadata(entity)
    .columns.map((c) => `${alias}.${c.databaseName} AS "${prefix}${c.propertyName}"`)
    .join(', ');
}

/**
 * The fields of a row named `prefix` + property (`prefix` as in entityColumns, e.g. `'profile.'`), as
 * `property`; null when its `id` is null or absent (a LEFT JOIN that found nothing). For columns
 * that are not a whole entity; an entity's are read with {@link entityFrom}.
 */
export function prefixed<T>(row: Record<string, unknown>, prefix: string): Partial<T> | null {
  if (row[`${prefix}id`] === null || row[`${prefix}id`] === undefined) return null;
  const out: Record<string, unknown> = {};
  for (const key in row) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = row[key];
  return out as Partial<T>;
}

/** Each entity's column properties, with and without a prefix, worked out once. */
const hydration = new WeakMap<object, Map<string, { properties: string[]; keys: string[] }>>();

/**
 * An entity read from a row that {@link entityColumns} named (with the same `prefix`), or null when
 * its `id` is null or absent (a LEFT JOIN that found nothing). The same object TypeORM's
 * `m.create` makes from those columns (an instance of the entity class, every column property set;
 * our entities have no transformers, embeddeds or relations), without its general-purpose walk of
 * the metadata: that walk was the worker's largest allocation per message sent (about 4 KB).
 */
export function entityFrom<T extends ObjectLiteral>(m: EntityManager, entity: new () => T, row: Record<string, unknown>, prefix = ''): T | null {
  let byPrefix = hydration.get(entity);
  if (!byPrefix) hydration.set(entity, (byPrefix = new Map<string, { properties: string[]; keys: string[] }>()));
  let shape = byPrefix.get(prefix);
  if (!shape) {
    const metadata = m.connection.getMetadata(entity);
    if (metadata.relations.length > 0 || metadata.embeddeds.length > 0 || metadata.columns.some((c) => c.transformer !== undefined)) {
      throw new Error(`entityFrom: ${metadata.name} has relations, embeddeds or transformers; use m.create`);
    }
    const properties = metadata.columns.map((c) => c.propertyName);
    byPrefix.set(prefix, (shape = { properties, keys: properties.map((p) => `${prefix}${p}`) }));
  }
  const id = row[`${prefix}id`];
  if (id === null || id === undefined) return null;
  const out = new entity() as Record<string, unknown>;
  const { properties, keys } = shape;
  for (let i = 0; i < properties.length; i++) out[properties[i]] = row[keys[i]];
  return out as T;
}
