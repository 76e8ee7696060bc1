import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, ConflictError, type ContactId, type TenantId } from '#common';
import {
  CitizenBlockRepository,
  ContactRepository,
  TenantRepository,
  type BlockReason,
  type CitizenBlockEntity,
  type InboundMessageEntity,
} from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { MEDIA_STORAGE, type MediaStorage } from '../media/media-storage.js';
import { CitizenMessenger } from './citizen-messenger.js';
import { InboxContactNotFoundError, InboxErrorCode } from './conversations.errors.js';
import { INBOX_IT, renderInbox } from './messages.it.js';

/**
 * Rules of behaviour, for one-way and two-way comuni alike: an editor blocks a citizen who sends
 * offensive, threatening or abusive messages. The block is audited; the citizen is told once (now
 * if their window is open, else when they next write); their further messages are dropped before
 * any keyword or inbox handling, keeping only the metadata (that a message of some type arrived, when).
 */
@Injectable()
export class CitizenBlocksService {
  private readonly logger = new Logger('Inbox');

  constructor(
    private readonly blocks: CitizenBlockRepository,
    private readonly contacts: ContactRepository,
    private readonly tenants: TenantRepository,
    private readonly messenger: CitizenMessenger,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
  ) {}

  list(tenantId: TenantId): Promise<CitizenBlockEntity[]> {
    return this.blocks.list(tenantId);
  }

  async block(actor: Actor, tenantId: TenantId, contactId: ContactId, reason: BlockReason, note: string | null): Promise<CitizenBlockEntity> {
    const contact = /^[0-9a-f-]{36}$/i.test(contactId) ? await this.contacts.findById(tenantId, contactId) : null;
    if (!contact) throw new InboxContactNotFoundError();
    const inserted = await this.blocks.insert(tenantId, { contactId, reason, note, blockedBy: actor.userId, blockedAt: this.clock.now() });
    if (!inserted) throw new ConflictError('this citizen is blocked already', 'CITIZEN_ALREADY_BLOCKED');
    // Contact id only: the audit log never holds citizens' numbers.
    await this.audit.record(tenantId, actor, 'citizen.blocked', { type: 'contact', id: contactId }, { reason });
    await this.tell(tenantId, contactId);
    const block = await this.blocks.find(tenantId, contactId);
    if (!block) throw new InboxContactNotFoundError();
    return block;
  }

  async unblock(actor: Actor, tenantId: TenantId, contactId: ContactId): Promise<void> {
    const contact = /^[0-9a-f-]{36}$/i.test(contactId) ? await this.contacts.findById(tenantId, contactId) : null;
    if (!contact) throw new InboxContactNotFoundError();
    if (!(await this.blocks.delete(tenantId, contactId))) throw new ConflictError('this citizen is not blocked', InboxErrorCode.NotBlocked);
    await this.audit.record(tenantId, actor, 'citizen.unblocked', { type: 'contact', id: contactId });
  }

  /**
   * Runs first for every new inbound message. True when the sender is blocked: the message's
   * content and media are dropped (metadata kept) and nothing else handles it.
   */
  async isBlocked(tenantId: TenantId, contactId: ContactId): Promise<boolean> {
    return (await this.blocks.find(tenantId, contactId)) !== null;
  }

  async dropIfBlocked(tenantId: TenantId, msg: InboundMessageEntity): Promise<boolean> {
    const block = await this.blocks.find(tenantId, msg.contactId);
    if (!block) return false;
    const { storageKeys } = await this.blocks.dropMessage(tenantId, msg.contactId, msg.id);
    for (const key of storageKeys) await this.storage.delete(key);
    this.logger.log({ event: 'blocked_message_dropped', tenantId, contactId: msg.contactId, type: msg.type });
    await this.tell(tenantId, msg.contactId);
    return true;
  }

  /** Tells the citizen once; outside their window the claim is released and they are told at their next message. */
  private async tell(tenantId: TenantId, contactId: ContactId): Promise<void> {
    if (!(await this.blocks.claimNotice(tenantId, contactId, this.clock.now()))) return;
    const [contact, tenant] = await Promise.all([this.contacts.findById(tenantId, contactId), this.tenants.findById(tenantId)]);
    if (!contact || !tenant) return;
    const body = renderInbox(INBOX_IT.blocked, { comune: tenant.displayName });
    const { outcome } = await this.messenger.send(
      tenantId,
      { numberId: contact.numberId, contact, conversationId: null },
      { type: 'text', body, previewUrl: false },
      { kind: 'auto_reply' },
    );
    if (outcome === 'not_possible') await this.blocks.releaseNotice(tenantId, contactId);
  }
}
