import { asTenantId } from '#common';
import { TenantDb } from '#database';
import { createComune, type Comune } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** TenantDb opens each transaction with its scope in one round trip: what it must still guarantee. */
describe('TenantDb transactions', () => {
  let t: TestApp;
  let db: TenantDb;
  let amaro: Comune;
  let cavazzo: Comune;

  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get(TenantDb);
    amaro = await createComune(t, 'amaro');
    cavazzo = await createComune(t, 'cavazzo');
  });
  afterAll(async () => {
    await t.close();
  });

  const setting = (m: { query: (sql: string) => Promise<{ v: string | null }[]> }, name: string) =>
    m.query(`SELECT current_setting('${name}', true) AS v`).then((r) => r[0]?.v ?? null);

  it('scopes the transaction to the comune, and forgets it afterwards', async () => {
    const seen = await db.forTenant(amaro.tenant.id, async (m) => ({
      tenant: await setting(m, 'app.tenant_id'),
      inTx: (await m.query<{ first: boolean }[]>(`SELECT now() = statement_timestamp() AS first`))[0],
      numbers: await m.query<{ tenant_id: string }[]>(`SELECT DISTINCT tenant_id FROM whatsapp_numbers`),
    }));
    expect(seen.tenant).toBe(amaro.tenant.id);
    // now() is the transaction's start: a later statement in a transaction sees an earlier time.
    expect(seen.inTx.first).toBe(false);
    expect(seen.numbers.map((r) => r.tenant_id)).toEqual([amaro.tenant.id]);
    expect(await db.withoutTenant((m) => setting(m, 'app.tenant_id'))).toBeFalsy();
    expect(await db.unscoped((m) => setting(m, 'app.all_tenants'))).toBe('on');
  });

  it('opens a transaction of its own beside the current one with forTenantApart, scoped the same way', async () => {
    const txid = (m: { query: (sql: string) => Promise<{ x: string }[]> }) => m.query(`SELECT txid_current()::text AS x`).then((r) => r[0].x);
    const seen = await db.forTenant(amaro.tenant.id, async (outer) => {
      const joined = await db.forTenant(amaro.tenant.id, (m) => txid(m));
      const apart = await db.forTenantApart(cavazzo.tenant.id, async (m) => ({
        tx: await txid(m),
        tenant: await setting(m, 'app.tenant_id'),
        numbers: await m.query<{ tenant_id: string }[]>(`SELECT DISTINCT tenant_id FROM whatsapp_numbers`),
      }));
      return { outer: await txid(outer), joined, apart };
    });
    expect(seen.joined).toBe(seen.outer);
    expect(seen.apart.tx).not.toBe(seen.outer);
    expect(seen.apart.tenant).toBe(cavazzo.tenant.id);
    expect(seen.apart.numbers.map((r) => r.tenant_id)).toEqual([cavazzo.tenant.id]);
  });

  it('commits the work, and rolls all of it back when the work fails', async () => {
    const insert = (m: { query: (sql: string, p: unknown[]) => Promise<unknown> }, action: string) =>
      m.query(`INSERT INTO audit_events (tenant_id, id, action, target_type) VALUES ($1, gen_random_uuid(), $2, 'test')`, [amaro.tenant.id, action]);
    const count = (action: string) =>
      db.forTenant(
        amaro.tenant.id,
        async (m) => (await m.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM audit_events WHERE action = $1`, [action]))[0].n,
      );
    await db.forTenant(amaro.tenant.id, (m) => insert(m, 'tx.kept'));
    await expect(
      db.forTenant(amaro.tenant.id, async (m) => {
        await insert(m, 'tx.undone');
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    expect(await count('tx.kept')).toBe(1);
    expect(await count('tx.undone')).toBe(0);
    // A nested transaction is a savepoint: its failure undoes only its own part.
    await db.forTenant(amaro.tenant.id, async (m) => {
      await insert(m, 'tx.outer');
      await m
        .transaction(async (inner) => {
          await insert(inner, 'tx.inner');
          throw new Error('inner failed');
        })
        .catch(() => undefined);
    });
    expect(await count('tx.outer')).toBe(1);
    expect(await count('tx.inner')).toBe(0);
  });

  it('refuses a tenant id that is not a uuid before it reaches SQL', async () => {
    await expect(db.forTenant(asTenantId(`x', true); DROP TABLE tenants; --`), () => Promise.resolve(1))).rejects.toThrow(
      'a tenant id must be a uuid',
    );
    expect(await db.forTenant(cavazzo.tenant.id, () => Promise.resolve('still fine'))).toBe('still fine');
  });
});
