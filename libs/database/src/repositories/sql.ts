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
 * The named columns of an entity as `alias.column AS "property"` (or `"prefix" + property`, e.g.
 * `'contact.'`, for a second table in the same row), read back with {@link fieldsOf}. For a hot
 * statement that needs a few of a wide table's columns: the claim of a send batch reads 26 of the
 * 52 columns of its three tables, and each column left out is one value fewer to format, send and
 * parse a hundred times a batch (timestamps above all).
 */
export function columnsOf<T extends ObjectLiteral>(
  m: EntityManager,
  entity: EntityTarget<T>,
  alias: string,
  properties: readonly (keyof T & string)[],
  prefix = '',
): string {
  const metadata = m.connection.getMetadata(entity);
  return properties
    .map((property) => {
      const column = metadata.findColumnWithPropertyName(property);
      if (!column) throw new Error(`columnsOf: ${metadata.name} has no column ${property}`);
      return `${alias}.${column.databaseName} AS "${prefix}${property}"`;
    })
    .join(', ');
}

/**
 * The fields a row names `prefix` + property (as {@link columnsOf} named them), as an object of
 * those properties; null when the row's `prefix` + `id` is null or absent (a LEFT JOIN that found
 * nothing). A plain object, not an entity: the type says which columns it has.
 */
export function fieldsOf<T extends { id: unknown }>(row: Record<string, unknown>, properties: readonly (keyof T & string)[], prefix = ''): T | null {
  const keys = keysOf(properties, prefix);
  const id = row[`${prefix}id`];
  if (id === null || id === undefined) return null;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < properties.length; i++) out[properties[i]] = row[keys[i]];
  return out as T;
}

/** Each property list's keys in a row, per prefix, worked out once (fieldsOf runs for every row of every claim). */
const prefixedKeys = new WeakMap<readonly string[], Map<string, string[]>>();

function keysOf(properties: readonly string[], prefix: string): string[] {
  let byPrefix = prefixedKeys.get(properties);
  if (!byPrefix) prefixedKeys.set(properties, (byPrefix = new Map<string, string[]>()));
  let keys = byPrefix.get(prefix);
  if (!keys) byPrefix.set(prefix, (keys = properties.map((p) => `${prefix}${p}`)));
  return keys;
}
