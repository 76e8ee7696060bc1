import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { isUuid, type TenantId } from '#common';

type Scope = { kind: 'tenant'; tenantId: TenantId } | { kind: 'all' } | { kind: 'none' };

interface ActiveTransaction {
  scope: Scope;
  manager: EntityManager;
}

/**
 * The one path every repository query takes. It opens a transaction and sets the Row-Level
 * Security setting for it (`app.tenant_id`, or `app.all_tenants` for the few named unscoped
 * look-ups), so a repository that forgot its WHERE clause still cannot read another comune's rows.
 * A call made inside another with the same scope joins its transaction.
 */
@Injectable()
export class TenantDb {
  private readonly active = new AsyncLocalStorage<ActiveTransaction>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs work in a transaction that can see only this tenant's rows. */
  forTenant<T>(tenantId: TenantId, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.run({ kind: 'tenant', tenantId }, work);
  }

  /**
   * Runs work in a transaction of its own for this tenant, on another connection, even when called
   * inside a transaction: for work that goes on beside that transaction (a snapshot's second piece,
   * CampaignsService.materialiseRest), never for work that must commit with it.
   */
  forTenantApart<T>(tenantId: TenantId, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.active.exit(() => this.run({ kind: 'tenant', tenantId }, work));
  }

  /**
   * Runs work in a transaction that sees every tenant. Only for look-ups that have no tenant yet
   * (a webhook's phone_number_id, a login's email, an operator's cross-tenant listing): callers
   * are named `...Unscoped` so a grep lists them.
   */
  unscoped<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.run({ kind: 'all' }, work);
  }

  /** Runs work in a transaction for tables that belong to no tenant (refresh tokens, provider apps). */
  withoutTenant<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.run({ kind: 'none' }, work);
  }

  private async run<T>(scope: Scope, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const current = this.active.getStore();
    if (current) {
      if (sameScope(current.scope, scope)) return work(current.manager);
      if (current.scope.kind === 'all' || scope.kind === 'none') {
        // An unscoped transaction may serve a nested call for one tenant (the repository still
        // filters by tenant_id), and tenant-less tables can join any transaction; widening a
        // tenant's transaction to another scope is refused.
        return work(current.manager);
      }
      throw new Error('a tenant-scoped transaction cannot open a transaction for another scope');
    }
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      // The transaction and its scope in one round trip (a batch of sends opens a few of these):
      // START TRANSACTION then set_config, as one simple query. The tenant id is checked to be a
      // uuid before it is written into the statement.
      await runner.query(['START TRANSACTION', scopeStatement(scope)].filter(Boolean).join('; '));
      adoptTransaction(runner);
      try {
        const result = await this.active.run({ scope, manager: runner.manager }, () => work(runner.manager));
        await runner.commitTransaction();
        return result;
      } catch (err) {
        try {
          await runner.rollbackTransaction();
        } catch {
          // The connection is gone (the rollback is implied); the work's error is the one to report.
        }
        throw err;
      }
    } finally {
      await runner.release();
    }
  }
}

/** The statement that gives a transaction its row-level-security scope (none for tables without a tenant). */
function scopeStatement(scope: Scope): string {
  if (scope.kind === 'tenant') {
    if (!isUuid(scope.tenantId)) throw new Error('a tenant id must be a uuid');
    return `SELECT set_config('app.tenant_id', '${scope.tenantId}', true)`;
  }
  if (scope.kind === 'all') return `SELECT set_config('app.all_tenants', 'on', true)`;
  return '';
}

/**
 * Tells TypeORM's query runner that the transaction opened by hand above is its own, so that
 * commit, rollback and nested `manager.transaction()` (savepoints) behave as after its own
 * startTransaction(), which would have cost a round trip of its own.
 */
function adoptTransaction(runner: QueryRunner): void {
  const r = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
  r.isTransactionActive = true;
  r.transactionDepth = 1;
}

function sameScope(a: Scope, b: Scope): boolean {
  if (a.kind === 'tenant' && b.kind === 'tenant') return a.tenantId === b.tenantId;
  return a.kind === b.kind;
}
