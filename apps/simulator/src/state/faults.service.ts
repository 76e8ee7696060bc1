import { Injectable } from '@nestjs/common';

/** Ways a number can misbehave, set by tests through POST /_sim/faults. */
export interface NumberFaults {
  /** The next n sends fail with HTTP 500 / 131000 (or 503 / 131016, per serverErrorCode). */
  serverErrors: number;
  serverErrorCode: 131000 | 131016;
  /** Added before every Graph call of the number is answered. */
  latencyMs: number;
  /** The next n sends are accepted (recorded, statuses emitted) but their response is held for holdMs. */
  acceptThenTimeout: number;
  holdMs: number;
  /**
   * Each send, independently, with this probability (0–1): a 5xx (serverErrorCode), a 130429
   * whatever the number's mps, an acceptance whose response is held for holdMs. For storms that
   * last a while rather than the next n sends; the counts above are consumed first.
   */
  serverErrorRate: number;
  throughputErrorRate: number;
  acceptThenTimeoutRate: number;
  /** Recipients (digits or BSUID) whose messages fail asynchronously with 131026. */
  undeliverable: Set<string>;
  /** Every call with the number's token gets 190 "Session has expired". */
  expiredToken: boolean;
  /** Recipients whose marketing templates fail asynchronously with 131050. */
  marketingOptOut: Set<string>;
  /** The next n media uploads of the number fail with 131053 "Media upload error". */
  mediaUploadErrors: number;
}

export type NumberFaultsUpdate = Partial<Omit<NumberFaults, 'undeliverable' | 'marketingOptOut'>> & {
  undeliverable?: string[];
  marketingOptOut?: string[];
};

/** Longer than any sane client timeout; the hold ends early when the client hangs up. */
export const DEFAULT_HOLD_MS = 5 * 60_000;

const none = (): NumberFaults => ({
  serverErrors: 0,
  serverErrorCode: 131000,
  latencyMs: 0,
  acceptThenTimeout: 0,
  holdMs: DEFAULT_HOLD_MS,
  serverErrorRate: 0,
  throughputErrorRate: 0,
  acceptThenTimeoutRate: 0,
  undeliverable: new Set(),
  expiredToken: false,
  marketingOptOut: new Set(),
  mediaUploadErrors: 0,
});

/** Recipients are matched on their digits, so "+39 333..." and "39333..." are the same person. */
export const recipientKey = (recipient: string): string => (/^\+?[\d\s().-]+$/.test(recipient.trim()) ? recipient.replace(/\D/g, '') : recipient);

@Injectable()
export class FaultsService {
  private readonly faults = new Map<string, NumberFaults>();
  /** [0, 1) source of the rate-based faults. */
  random: () => number = Math.random;

  /** Sets the given fields for a number; fields left out keep their current value. */
  set(phoneNumberId: string, update: NumberFaultsUpdate): NumberFaults {
    const current = this.get(phoneNumberId);
    const next: NumberFaults = {
      ...current,
      ...Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined)),
      undeliverable: update.undeliverable ? new Set(update.undeliverable.map(recipientKey)) : current.undeliverable,
      marketingOptOut: update.marketingOptOut ? new Set(update.marketingOptOut.map(recipientKey)) : current.marketingOptOut,
    };
    this.faults.set(phoneNumberId, next);
    return next;
  }

  get(phoneNumberId: string): NumberFaults {
    return this.faults.get(phoneNumberId) ?? none();
  }

  /** Consumes one of the number's pending server errors, if any, or draws one at serverErrorRate. */
  takeServerError(phoneNumberId: string): 131000 | 131016 | undefined {
    const faults = this.faults.get(phoneNumberId);
    if (!faults) return undefined;
    if (faults.serverErrors > 0) faults.serverErrors -= 1;
    else if (!this.draw(faults.serverErrorRate)) return undefined;
    return faults.serverErrorCode;
  }

  /** Whether this send gets a 130429 regardless of the number's actual throughput (throughputErrorRate). */
  takeThroughputError(phoneNumberId: string): boolean {
    const faults = this.faults.get(phoneNumberId);
    return faults !== undefined && this.draw(faults.throughputErrorRate);
  }

  /** Consumes one of the number's pending media upload errors; true when this upload is to fail. */
  takeMediaUploadError(phoneNumberId: string): boolean {
    const faults = this.faults.get(phoneNumberId);
    if (!faults || faults.mediaUploadErrors <= 0) return false;
    faults.mediaUploadErrors -= 1;
    return true;
  }

  /** Consumes one of the number's pending held responses, if any, or draws one at acceptThenTimeoutRate; returns how long to hold. */
  takeHold(phoneNumberId: string): number | undefined {
    const faults = this.faults.get(phoneNumberId);
    if (!faults) return undefined;
    if (faults.acceptThenTimeout > 0) faults.acceptThenTimeout -= 1;
    else if (!this.draw(faults.acceptThenTimeoutRate)) return undefined;
    return faults.holdMs;
  }

  private draw(rate: number): boolean {
    return rate > 0 && this.random() < rate;
  }

  clear(phoneNumberId?: string): void {
    if (phoneNumberId === undefined) this.faults.clear();
    else this.faults.delete(phoneNumberId);
  }
}

export function faultsView(f: NumberFaults): Record<string, unknown> {
  return { ...f, undeliverable: [...f.undeliverable], marketingOptOut: [...f.marketingOptOut] };
}
