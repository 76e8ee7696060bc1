import { Injectable } from '@nestjs/common';
import { safeEqual } from './safe-equal.js';

/** A business phone number as Meta knows it, with the credentials and webhook of its app. */
export interface SimulatedNumber {
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string;
  accessToken: string;
  appSecret: string;
  webhookUrl: string;
  /** Messages per second before 130429 (Meta's default is 80). */
  mps: number;
}

/** What the control API shows of a number: never its token or app secret. */
export interface SimulatedNumberView {
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string;
  webhookUrl: string;
  mps: number;
}

export const DEFAULT_MPS = 80;

@Injectable()
export class NumbersService {
  private readonly numbers = new Map<string, SimulatedNumber>();

  register(number: SimulatedNumber): SimulatedNumberView {
    this.numbers.set(number.phoneNumberId, { ...number });
    return toView(number);
  }

  list(): SimulatedNumberView[] {
    return [...this.numbers.values()].map(toView);
  }

  find(phoneNumberId: string): SimulatedNumber | undefined {
    return this.numbers.get(phoneNumberId);
  }

  /** The number whose access token this is, if any (a token belongs to one number here). */
  findByToken(token: string): SimulatedNumber | undefined {
    return [...this.numbers.values()].find((n) => safeEqual(n.accessToken, token));
  }

  inWaba(wabaId: string): SimulatedNumber[] {
    return [...this.numbers.values()].filter((n) => n.wabaId === wabaId);
  }

  clear(): void {
    this.numbers.clear();
  }
}

function toView(n: SimulatedNumber): SimulatedNumberView {
  return { phoneNumberId: n.phoneNumberId, wabaId: n.wabaId, displayPhoneNumber: n.displayPhoneNumber, webhookUrl: n.webhookUrl, mps: n.mps };
}
