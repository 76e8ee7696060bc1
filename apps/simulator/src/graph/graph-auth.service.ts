import { Injectable } from '@nestjs/common';
import { FaultsService } from '../state/faults.service.js';
import { NumbersService, type SimulatedNumber } from '../state/numbers.service.js';
import { safeEqual } from '../state/safe-equal.js';
import { GraphErrors } from './graph.errors.js';

const VERSION = /^v\d+\.\d+$/;

/**
 * Who may call what, the way Meta decides it: a token that is nobody's gets 190; a good token on
 * an object it cannot see gets 100 "does not exist"; the expiredToken fault turns every call of
 * the number into 190 "Session has expired".
 */
@Injectable()
export class GraphAuthService {
  constructor(
    private readonly numbers: NumbersService,
    private readonly faults: FaultsService,
  ) {}

  assertVersion(version: string): void {
    if (!VERSION.test(version)) throw GraphErrors.unknownPath(`/${version}`);
  }

  /** The number at `/{phoneNumberId}`, when the token is that number's own. */
  number(version: string, phoneNumberId: string, authorization: string | undefined, method: 'get' | 'post' | 'delete'): SimulatedNumber {
    this.assertVersion(version);
    const token = bearer(authorization);
    const number = this.numbers.find(phoneNumberId);
    if (!number) {
      if (token && this.numbers.findByToken(token)) throw GraphErrors.unknownObject(method, phoneNumberId);
      throw GraphErrors.invalidToken();
    }
    if (!token || !safeEqual(number.accessToken, token)) throw GraphErrors.invalidToken();
    if (this.faults.get(number.phoneNumberId).expiredToken) throw GraphErrors.expiredToken();
    return number;
  }

  /** The number whose token this is (media and template calls take any token that can see the object). */
  caller(authorization: string | undefined): SimulatedNumber {
    const token = bearer(authorization);
    const number = token ? this.numbers.findByToken(token) : undefined;
    if (!number) throw GraphErrors.invalidToken();
    if (this.faults.get(number.phoneNumberId).expiredToken) throw GraphErrors.expiredToken();
    return number;
  }
}

export function bearer(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}
