import { Injectable } from '@nestjs/common';

/**
 * The platform's idea of "now" for rules that depend on the wall clock (schedules, quiet hours,
 * office hours). Production reads the system clock; tests and demos move it with `travelTo` and
 * `advance` instead of waiting for a Tuesday at 10:00. Timers and Redis TTLs are not affected.
 */
@Injectable()
export class Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** From now on, `now()` reads `at` plus the real time elapsed since this call. */
  travelTo(at: Date): void {
    this.offsetMs = at.getTime() - Date.now();
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
