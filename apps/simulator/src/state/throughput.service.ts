import { Injectable } from '@nestjs/common';
import { SlidingWindowCounter } from './sliding-window.js';

/**
 * Each number's messages in the last second, as Meta counts its throughput: the business's sends
 * and the citizens' messages to it alike. Only sends are refused over the number's mps (130429); a
 * citizen's message is always delivered, and takes its place in the count.
 */
@Injectable()
export class ThroughputService {
  private readonly counter = new SlidingWindowCounter(1_000);

  /** Counts a send and returns true when the number is under `mps`; counts nothing and returns false otherwise. */
  trySend(phoneNumberId: string, mps: number, now: number): boolean {
    return this.counter.tryAcquire(phoneNumberId, mps, now);
  }

  /** Counts a citizen's message to the number. */
  countInbound(phoneNumberId: string, now: number): void {
    this.counter.record(phoneNumberId, now);
  }

  clear(): void {
    this.counter.clear();
  }
}
