import { Inject, Injectable } from '@nestjs/common';
import { newId, NotFoundError, ValidationError, type TenantId } from '#common';
import {
  SubscriberRepository,
  SubscriptionConfigRepository,
  type ConsentEventEntity,
  type Page,
  type PageRequest,
  type SubscriberCounts,
  type SubscriberEntity,
  type SubscriberFilter,
} from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { MEDIA_STORAGE, type MediaStorage } from '../media/media-storage.js';
import { compact } from './keyword-text.js';

export class SubscriberNotFoundError extends NotFoundError {
  constructor() {
    super('Subscriber', 'SUBSCRIBER_NOT_FOUND');
  }
}

export interface SubscriberEdit {
  firstName?: string | null;
  lastName?: string | null;
  frazione?: string | null;
  tags?: string[];
}

export interface SubscriberDetail {
  subscriber: SubscriberEntity;
  subscriptions: { listId: string; status: string; subscribedAt: Date; unsubscribedAt: Date | null }[];
}

export interface LaunchStatus {
  threshold: number | null;
  active: number;
  reached: boolean;
  overridden: boolean;
  /** Broadcasts may go: no threshold, threshold reached, or an admin override. */
  broadcastsAllowed: boolean;
}

/** A comune's staff working with its subscribers: search, edit, counts, data export and erasure. */
@Injectable()
export class SubscribersService {
  constructor(
    private readonly subscribers: SubscriberRepository,
    private readonly config: SubscriptionConfigRepository,
    private readonly audit: AuditService,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
  ) {}

  search(tenantId: TenantId, filter: SubscriberFilter, page: PageRequest): Promise<Page<SubscriberEntity>> {
    return this.subscribers.search(tenantId, filter, page);
  }

  async get(tenantId: TenantId, id: string): Promise<SubscriberDetail> {
    const subscriber = await this.subscribers.findById(tenantId, id);
    if (!subscriber || subscriber.erasedAt) throw new SubscriberNotFoundError();
    return { subscriber, subscriptions: await this.subscribers.subscriptions(tenantId, id) };
  }

  /** An editor's change to a subscriber's profile, recorded in the consent ledger as such. */
  async edit(actor: Actor, tenantId: TenantId, id: string, edit: SubscriberEdit): Promise<SubscriberDetail> {
    const { subscriber } = await this.get(tenantId, id);
    const settings = await this.config.getSettings(tenantId);
    let frazione = edit.frazione;
    if (frazione) {
      const known = settings?.frazioni.find((f) => compact(f) === compact(frazione!));
      if (!known)
        throw new ValidationError(
          `"${frazione}" is not one of the comune's frazioni`,
          { field: 'frazione', frazioni: settings?.frazioni ?? [] },
          'UNKNOWN_FRAZIONE',
        );
      frazione = known;
    }
    const tags = edit.tags ? [...new Set(edit.tags.map((t) => t.trim().toLowerCase()))] : undefined;
    const changed = Object.keys(edit).filter((k) => edit[k as keyof SubscriberEdit] !== undefined);
    await this.subscribers.inTransaction(tenantId, async () => {
      await this.subscribers.update(tenantId, id, {
        ...(edit.firstName !== undefined ? { firstName: edit.firstName } : {}),
        ...(edit.lastName !== undefined ? { lastName: edit.lastName } : {}),
        ...(frazione !== undefined ? { frazione } : {}),
        ...(tags !== undefined ? { tags } : {}),
      });
      await this.subscribers.recordConsent(tenantId, {
        id: newId(),
        subscriberId: subscriber.id,
        type: 'profile_changed',
        listIds: [],
        policyVersion: null,
        channel: 'editor',
        evidence: { userId: actor.userId, fields: changed },
      });
    });
    await this.audit.record(tenantId, actor, 'subscriber.edited', { type: 'subscriber', id }, { fields: changed });
    return this.get(tenantId, id);
  }

  async counts(tenantId: TenantId): Promise<SubscriberCounts & { launch: LaunchStatus }> {
    const [counts, settings] = await Promise.all([this.subscribers.counts(tenantId), this.config.getSettings(tenantId)]);
    return { ...counts, launch: launchStatus(settings, counts.byStatus.active ?? 0) };
  }

  /** The launch threshold's status alone (a campaign's start needs no per-list breakdown). */
  async launch(tenantId: TenantId): Promise<LaunchStatus> {
    const [active, settings] = await Promise.all([this.subscribers.countActive(tenantId), this.config.getSettings(tenantId)]);
    return launchStatus(settings, active);
  }

  /** Everything held about the person (GDPR access request), as one JSON document. */
  async export(
    actor: Actor,
    tenantId: TenantId,
    id: string,
  ): Promise<{ subscriber: SubscriberEntity; subscriptions: SubscriberDetail['subscriptions']; consent: ConsentEventEntity[] }> {
    const detail = await this.get(tenantId, id);
    const consent = await this.subscribers.ledger(tenantId, id);
    await this.audit.record(tenantId, actor, 'subscriber.exported', { type: 'subscriber', id });
    return { ...detail, consent };
  }

  /**
   * Erasure (GDPR, ADR 0008): everything that identifies the person goes from the comune's tables
   * (SubscriberRepository.erase says what), and whatever was queued for them is never sent; the
   * anonymous row, counts and a minimal ledger entry stay. The ledger entry commits with the erasure.
   */
  async erase(actor: Actor, tenantId: TenantId, id: string): Promise<void> {
    await this.get(tenantId, id);
    const { storageKeys } = await this.subscribers.inTransaction(tenantId, async () => {
      const erased = await this.subscribers.erase(tenantId, id);
      await this.subscribers.recordConsent(tenantId, {
        id: newId(),
        subscriberId: id,
        type: 'erased',
        listIds: [],
        policyVersion: null,
        channel: 'editor',
        evidence: { userId: actor.userId },
      });
      return erased;
    });
    // The files go once the rows no longer point at them: a rolled-back erasure must find its media intact.
    for (const key of storageKeys) await this.storage.delete(key);
    await this.audit.record(tenantId, actor, 'subscriber.erased', { type: 'subscriber', id });
  }
}

function launchStatus(settings: { launchThreshold: number | null; launchOverride: boolean } | null, active: number): LaunchStatus {
  const threshold = settings?.launchThreshold ?? null;
  const reached = threshold === null || active >= threshold;
  const overridden = settings?.launchOverride ?? false;
  return { threshold, active, reached, overridden, broadcastsAllowed: reached || overridden };
}
