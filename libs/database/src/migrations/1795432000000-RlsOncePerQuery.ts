import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenant-isolation policies read the session's tenant once per query instead of once per row.
 *
 * `app_tenant_visible(tenant_id)` is inlined into every scan as two `current_setting()` calls per
 * row: a scan of a comune's 100,000 contacts spent 40 of its 48 ms in them, and a campaign's
 * snapshot scans contacts and subscribers several times. Written with scalar sub-selects, the same
 * test becomes two InitPlans evaluated once per execution, and each row compares one uuid (5x faster
 * on that scan). Same meaning: the row's tenant is the session's `app.tenant_id`, or the session has
 * `app.all_tenants = on` (docs/adr/0002).
 */
export class RlsOncePerQuery1795432000000 implements MigrationInterface {
  name = 'RlsOncePerQuery1795432000000';

  async up(q: QueryRunner): Promise<void> {
    for (const { table, column } of await policies(q, 'app_tenant_visible')) {
      const test = tenantVisible(column);
      await q.query(`ALTER POLICY tenant_isolation ON ${table} USING ${test} WITH CHECK ${test}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const { table, column } of await policies(q, 'current_setting')) {
      await q.query(`ALTER POLICY tenant_isolation ON ${table} USING (app_tenant_visible(${column})) WITH CHECK (app_tenant_visible(${column}))`);
    }
  }
}

/** The isolation test on `column`, for tables created by later migrations' `tenant_isolation` policies. */
export function tenantVisible(column: string): string {
  return `(${column} = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid) OR (SELECT coalesce(current_setting('app.all_tenants', true), '') = 'on'))`;
}

/** The tables whose tenant_isolation policy mentions `marker`, with the column it tests. */
async function policies(q: QueryRunner, marker: string): Promise<{ table: string; column: string }[]> {
  const rows = (await q.query(
    `SELECT tablename AS table, qual FROM pg_policies WHERE schemaname = 'public' AND policyname = 'tenant_isolation' AND qual LIKE '%' || $1 || '%'
      ORDER BY tablename`,
    [marker],
  )) as { table: string; qual: string }[];
  return rows.map((r) => {
    const column = /\(\(?(tenant_id|id)\b/.exec(r.qual)?.[1];
    if (!column) throw new Error(`tenant_isolation on ${r.table}: cannot tell the tenant column from ${r.qual}`);
    return { table: r.table, column };
  });
}
