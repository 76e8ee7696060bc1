import { Injectable, Logger } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { newId, NotFoundError, ValidationError, type TenantId } from '#common';
import {
  SubscriberImportRepository,
  SubscriptionConfigRepository,
  TenantRepository,
  type ImportedSubscriber,
  type Page,
  type PageRequest,
  type SubscriberExportRow,
  type SubscriberImportEntity,
  type SubscriberImportError,
} from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { checkRow, decodeCsv, parseSubscriberCsv, safeCell, type RowRules } from './subscriber-csv.js';
import { ListNotFoundError } from './subscription-config.service.js';

export class SubscriberImportNotFoundError extends NotFoundError {
  constructor() {
    super('Subscriber import', 'SUBSCRIBER_IMPORT_NOT_FOUND');
  }
}

export interface ImportOptions {
  /** The lists every imported subscriber joins; none: the comune's default lists. */
  listIds: string[];
  /** The admin's statement that every row consented, standing in for a per-row evidence column. */
  consentDeclaration?: string;
}

/** Above this a file must be split: one request holds it in memory and imports it before answering. */
export const IMPORT_MAX_ROWS = 100_000;
/** Rows written per statement, and how often the import's progress is saved. */
export const IMPORT_CHUNK_ROWS = 2_000;
/** Rejected rows kept with their reason on the import; the counters count them all. */
export const IMPORT_MAX_STORED_ERRORS = 1_000;
export const DECLARATION_MIN_LENGTH = 10;
export const DECLARATION_MAX_LENGTH = 500;
const EXPORT_PAGE_ROWS = 1_000;

export const EXPORT_COLUMNS = ['phone', 'first_name', 'last_name', 'frazione', 'tags', 'status', 'lists', 'source', 'subscribed_at'] as const;

/**
 * A comune bringing its existing broadcast list in (CSV import, with consent evidence per row or
 * declared for the file) and taking its subscribers out (CSV export).
 */
@Injectable()
export class SubscriberImportService {
  private readonly logger = new Logger('SubscriberImport');

  constructor(
    private readonly imports: SubscriberImportRepository,
    private readonly config: SubscriptionConfigRepository,
    private readonly tenants: TenantRepository,
    private readonly audit: AuditService,
  ) {}

  /**
   * Imports the file within the request, chunk by chunk: each chunk is one transaction that writes
   * its subscribers, subscriptions and ledger entries and adds to the import's counters, so the
   * import can be watched while it runs and a failure keeps the chunks already written (the import
   * says how far it got). Existing subscribers are counted as duplicates and left as they are.
   */
  async import(actor: Actor, tenantId: TenantId, file: string | Uint8Array, options: ImportOptions): Promise<SubscriberImportEntity> {
    const declaration = options.consentDeclaration?.trim() || null;
    if (declaration !== null && (declaration.length < DECLARATION_MIN_LENGTH || declaration.length > DECLARATION_MAX_LENGTH)) {
      throw new ValidationError(
        `the consent declaration must be ${DECLARATION_MIN_LENGTH} to ${DECLARATION_MAX_LENGTH} characters`,
        { field: 'consentDeclaration' },
        'INVALID_CONSENT_DECLARATION',
      );
    }
    const listIds = await this.targetLists(tenantId, options.listIds);
    const { rows } = parseSubscriberCsv(decodeCsv(file), IMPORT_MAX_ROWS);
    const [settings, tenant] = await Promise.all([this.config.getSettings(tenantId), this.tenants.findById(tenantId)]);
    const rules: RowRules = { frazioni: settings?.frazioni ?? [], declared: declaration !== null, required: settings?.requiredFields ?? [] };
    const batch = { listIds, policyVersion: tenant?.privacyPolicyVersion ?? null };

    const record = await this.imports.create(tenantId, {
      id: newId(),
      createdBy: actor.userId,
      totalRows: rows.length,
      listIds,
      consentDeclaration: declaration,
    });
    const importId = record.id;
    const seen = new Set<string>();
    let storedErrors = 0;
    let processed = 0;
    try {
      for (let start = 0; start < rows.length; start += IMPORT_CHUNK_ROWS) {
        const chunk = rows.slice(start, start + IMPORT_CHUNK_ROWS);
        const errors: SubscriberImportError[] = [];
        const valid: ImportedSubscriber[] = [];
        let rejected = 0;
        let repeated = 0;
        for (const row of chunk) {
          const check = checkRow(row, rules);
          if (!check.ok) {
            rejected++;
            if (storedErrors + errors.length < IMPORT_MAX_STORED_ERRORS) errors.push({ row: row.row, reason: check.reason });
            continue;
          }
          const r = check.value;
          if (seen.has(r.phoneE164)) {
            repeated++;
            continue;
          }
          seen.add(r.phoneE164);
          valid.push({
            id: newId(),
            consentEventId: newId(),
            phoneE164: r.phoneE164,
            firstName: r.firstName,
            lastName: r.lastName,
            frazione: r.frazione,
            tags: r.tags,
            // The row's own evidence when it has one; otherwise the admin's declaration for the file.
            evidence: {
              importId,
              row: r.row,
              userId: actor.userId,
              ...(r.consent !== null ? { consentEvidence: r.consent } : { declaration }),
            },
          });
        }
        await this.imports.inTransaction(tenantId, async () => {
          const inserted = await this.imports.insertSubscribers(tenantId, valid, batch);
          await this.imports.addProgress(tenantId, importId, {
            processedRows: chunk.length,
            accepted: inserted.length,
            rejected,
            duplicates: repeated + valid.length - inserted.length,
            errors,
          });
        });
        storedErrors += errors.length;
        processed += chunk.length;
      }
      await this.imports.finish(tenantId, importId, { status: 'completed' });
    } catch (err) {
      this.logger.error({ err, tenantId, importId, processed }, 'subscriber import failed');
      await this.imports
        .finish(tenantId, importId, {
          status: 'failed',
          reason: `unexpected error after ${processed} of ${rows.length} rows: the rows before it were imported, the others were not`,
        })
        .catch((e: unknown) => this.logger.error({ err: e, tenantId, importId }, 'could not mark the import failed'));
      throw err;
    }
    const done = await this.get(tenantId, importId);
    await this.audit.record(
      tenantId,
      actor,
      'subscribers.imported',
      { type: 'subscriber_import', id: importId },
      {
        totalRows: done.totalRows,
        accepted: done.accepted,
        rejected: done.rejected,
        duplicates: done.duplicates,
        listIds,
        declared: declaration !== null,
      },
    );
    return done;
  }

  async get(tenantId: TenantId, id: string): Promise<SubscriberImportEntity> {
    const found = await this.imports.findById(tenantId, id);
    if (!found) throw new SubscriberImportNotFoundError();
    return found;
  }

  list(tenantId: TenantId, page: PageRequest): Promise<Page<SubscriberImportEntity>> {
    return this.imports.list(tenantId, page);
  }

  /**
   * The comune's subscribers (erased ones left out) as CSV, produced page by page as it is sent.
   * Pages are read in separate transactions: a subscriber joining mid-export may or may not appear.
   * Starts with a BOM so Excel reads the accents right.
   */
  async exportCsv(actor: Actor, tenantId: TenantId): Promise<AsyncIterable<string>> {
    await this.audit.record(tenantId, actor, 'subscribers.exported_csv', { type: 'tenant', id: tenantId });
    const imports = this.imports;
    return (async function* () {
      yield `\uFEFF${stringify([[...EXPORT_COLUMNS]], { record_delimiter: 'windows' })}`;
      let after: string | null = null;
      for (;;) {
        const page = await imports.exportPage(tenantId, after, EXPORT_PAGE_ROWS);
        if (page.length > 0) yield stringify(page.map(exportRecord), { record_delimiter: 'windows' });
        if (page.length < EXPORT_PAGE_ROWS) return;
        after = page[page.length - 1].id;
      }
    })();
  }

  /** The lists named (all the comune's), or its default lists; an import always joins at least one. */
  private async targetLists(tenantId: TenantId, requested: readonly string[]): Promise<string[]> {
    const lists = await this.config.lists(tenantId);
    if (requested.length > 0) {
      const known = new Set(lists.map((l) => l.id));
      // Another comune's list id is as unknown as a made-up one.
      if (requested.some((id) => !known.has(id))) throw new ListNotFoundError();
      return [...new Set(requested)];
    }
    const defaults = lists.filter((l) => l.isDefault).map((l) => l.id);
    if (defaults.length === 0) {
      throw new ValidationError('choose the lists to import into: the comune has no default list', { field: 'listIds' }, 'IMPORT_NO_LISTS');
    }
    return defaults;
  }
}

function exportRecord(s: SubscriberExportRow): string[] {
  return [
    s.phoneE164 ?? '',
    safeCell(s.firstName),
    safeCell(s.lastName),
    safeCell(s.frazione),
    s.tags.join('|'),
    s.status,
    s.lists ?? '',
    s.source,
    s.subscribedAt ? new Date(s.subscribedAt).toISOString() : '',
  ];
}
