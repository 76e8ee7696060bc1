import type { EntityManager } from 'typeorm';
import { ContactEntity, OutboundMessageEntity, TenantDb } from '#database';
import { entityFrom } from '../../libs/database/src/repositories/sql.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * entityFrom stands in for m.create on the claim's rows (the worker's hot path): it must make the
 * very same entities from the same columns, with the real metadata of the real data source.
 */
describe('entityFrom', () => {
  let t: TestApp;
  let db: TenantDb;

  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get(TenantDb);
  });
  afterAll(async () => {
    await t.close();
  });

  /** A value of each column's type, distinct per column, so a property read from the wrong key shows. */
  const sampleRow = (m: EntityManager, entity: typeof OutboundMessageEntity | typeof ContactEntity, prefix: string) => {
    const row: Record<string, unknown> = { unrelated: 'x', [`${prefix}x.id`]: 'not mine' };
    m.connection.getMetadata(entity).columns.forEach((c, i) => {
      const type = String(c.type);
      row[`${prefix}${c.propertyName}`] =
        type === 'timestamptz'
          ? new Date(1_700_000_000_000 + i)
          : type === 'integer'
            ? i
            : type === 'jsonb'
              ? { n: i, text: 'è 🌧️' }
              : c.isNullable && i % 2 === 0
                ? null
                : `${c.propertyName}-${i}`;
    });
    return row;
  };

  const sameAsCreate = <T extends object>(m: EntityManager, entity: new () => T) => {
    const plain = sampleRow(m, entity as never, '');
    const viaCreate = m.create(entity, plain as never);
    const fromRow = entityFrom(m, entity, plain);
    expect(fromRow).toBeInstanceOf(entity);
    expect({ ...fromRow }).toEqual({ ...viaCreate });

    const fromJoined = entityFrom(m, entity, sampleRow(m, entity as never, 'contact.'), 'contact.');
    expect(fromJoined).toBeInstanceOf(entity);
    expect({ ...fromJoined }).toEqual({ ...viaCreate });
  };

  it('makes what m.create makes from the same columns, with or without a prefix', async () => {
    await db.withoutTenant((m) => {
      sameAsCreate(m, OutboundMessageEntity);
      sameAsCreate(m, ContactEntity);
      return Promise.resolve();
    });
  });

  it('is null when the LEFT JOIN found nothing', async () => {
    await db.withoutTenant((m) => {
      expect(entityFrom(m, ContactEntity, { id: 'o1', 'contact.id': null }, 'contact.')).toBeNull();
      expect(entityFrom(m, ContactEntity, { id: 'o1' }, 'contact.')).toBeNull();
      return Promise.resolve();
    });
  });
});
