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

  /** Consumes one of the number's pending server errors, if any. */
  takeServerError(phoneNumberId: string): 131000 | 131016 | undefined {
    const faults = this.faults.get(phoneNumberId);
    if (!faults || faults.serverErrors <= 0) return undefined;
    faults.serverErrors -= 1;
    return faults.serverErrorCode;
  }

  /** Consumes one of the number's pending media upload errors; true when this upload is to fail. */
  takeMediaUploadError(phoneNumberId: string): boolean {
    const faults = this.faults.get(phoneNumberId);
    if (!faults || faults.mediaUploadErrors <= 0) return false;
    faults.mediaUploadErrors -= 1;
    return true;
  }

  /** Consumes one of the number's pending held responses, if any, returning how long to hold. */
  takeHold(phoneNumberId: string): number | undefined {
    const faults = this.faults.get(phoneNumberId);
    if (!faults || faults.acceptThenTimeout <= 0) return undefined;
    faults.acceptThenTimeout -= 1;
    return faults.holdMs;
  }

  clear(phoneNumberId?: string): void {
    if (phoneNumberId === undefined) this.faults.clear();
    else this.faults.delete(phoneNumberId);
  }
}

export function faultsView(f: NumberFaults): Record<string, unknown> {
  return { ...f, undeliverable: [...f.undeliverable], marketingOptOut: [...f.marketingOptOut] };
}
