import { Injectable } from '@nestjs/common';
import { NotFoundError, type ContactId, type NumberId, type OutboundMessageId, type TenantId } from '#common';
import {
  ContactRepository,
  InboundMessageRepository,
  MediaFileRepository,
  OutboundMessageRepository,
  type ContactEntity,
  type InboundMessageEntity,
  type MediaFileEntity,
  type OutboundMessageEntity,
  type OutboundStatus,
  type Page,
  type PageRequest,
} from '#database';

/** Read side of the channel for a comune's staff: what was sent, what came in, who wrote. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly outbound: OutboundMessageRepository,
    private readonly inbound: InboundMessageRepository,
    private readonly contacts: ContactRepository,
    private readonly media: MediaFileRepository,
  ) {}

  listOutbound(
    tenantId: TenantId,
    page: PageRequest,
    filter: { status?: OutboundStatus; numberId?: NumberId },
  ): Promise<Page<OutboundMessageEntity>> {
    return this.outbound.list(tenantId, page, filter);
  }

  async getOutbound(tenantId: TenantId, id: OutboundMessageId): Promise<OutboundMessageEntity> {
    const row = await this.outbound.findById(tenantId, id);
    if (!row) throw new NotFoundError('Message', 'MESSAGE_NOT_FOUND');
    return row;
  }

  listInbound(tenantId: TenantId, page: PageRequest, filter: { contactId?: ContactId }): Promise<Page<InboundMessageEntity>> {
    return this.inbound.list(tenantId, page, filter);
  }

  listContacts(tenantId: TenantId, page: PageRequest): Promise<Page<ContactEntity>> {
    return this.contacts.list(tenantId, page);
  }

  /** The stored media of an inbound message, if any. */
  mediaOf(tenantId: TenantId, inboundMessageId: InboundMessageEntity['id']): Promise<MediaFileEntity | null> {
    return this.media.findByInboundMessage(tenantId, inboundMessageId);
  }
}
