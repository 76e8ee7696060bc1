import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '#common';
import { WebhookDeadLetterRepository, type Page, type PageRequest, type WebhookDeadLetterEntity } from '#database';
import { WebhookProcessingService } from './webhook-processing.service.js';

export class DeadLetterNotFoundError extends NotFoundError {
  constructor() {
    super('Dead letter', 'DEAD_LETTER_NOT_FOUND');
  }
}

/**
 * Webhook changes for numbers no comune owns. Operators look at them, onboard the number if it
 * should be ours, and replay them; or discard them. They are never retried by themselves.
 */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly letters: WebhookDeadLetterRepository,
    private readonly processing: WebhookProcessingService,
  ) {}

  list(page: PageRequest, open?: boolean): Promise<Page<WebhookDeadLetterEntity>> {
    return this.letters.list(page, open);
  }

  async get(id: string): Promise<WebhookDeadLetterEntity> {
    const letter = /^\d{1,18}$/.test(id) ? await this.letters.findById(id) : null;
    if (!letter) throw new DeadLetterNotFoundError();
    return letter;
  }

  async replay(id: string): Promise<WebhookDeadLetterEntity> {
    const letter = await this.get(id);
    if (letter.resolvedAt) throw new ConflictError('this dead letter was already resolved', 'DEAD_LETTER_RESOLVED');
    const routed = await this.processing.replayChange(letter);
    if (!routed) {
      throw new ConflictError(
        `still no comune owns ${letter.phoneNumberId ? `phone_number_id ${letter.phoneNumberId}` : `WABA ${letter.wabaId ?? '(none)'}`}: onboard the number first`,
        'DEAD_LETTER_UNROUTABLE',
      );
    }
    await this.letters.resolve(id, 'replayed');
    return this.get(id);
  }

  async discard(id: string): Promise<WebhookDeadLetterEntity> {
    const letter = await this.get(id);
    if (letter.resolvedAt) throw new ConflictError('this dead letter was already resolved', 'DEAD_LETTER_RESOLVED');
    await this.letters.resolve(id, 'discarded');
    return this.get(id);
  }
}
