import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { ValidationError, type TenantId } from '#common';
import { CONVERSATION_CATEGORIES, ConversationRepository, type ConversationCategory } from '#database';
import { median } from './conversation-rules.js';
import { InboxSettingsService } from './inbox-settings.service.js';
import { officeMillisBetween } from './office-hours.js';

export type CategoryCounts = Record<ConversationCategory | 'none', number>;

export interface InboxDay {
  /** Local date of the comune, YYYY-MM-DD. */
  day: string;
  inbound: number;
  inboundByCategory: CategoryCounts;
  conversationsOpened: number;
  conversationsClosed: number;
  /** Conversations opened that day that have had a first response. */
  firstResponses: number;
  /** Median time to the first response counting office hours only (a message at 20:00 answered at 9:30 the next morning took 30 minutes). */
  medianFirstResponseOfficeMinutes: number | null;
}

export interface InboxFigures {
  from: string;
  to: string;
  timezone: string;
  days: InboxDay[];
  totals: Omit<InboxDay, 'day'>;
}

const MAX_DAYS = 366;

/** Usage of a comune's inbox per day, for the evaluation of the trial (Santa Fiora). */
@Injectable()
export class InboxFiguresService {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly settings: InboxSettingsService,
  ) {}

  async figures(tenantId: TenantId, fromDay: string, toDay: string): Promise<InboxFigures> {
    const { hours } = await this.settings.get(tenantId);
    const zone = hours.timezone;
    const start = DateTime.fromISO(fromDay, { zone }).startOf('day');
    const last = DateTime.fromISO(toDay, { zone }).startOf('day');
    if (!start.isValid || !last.isValid || last < start)
      throw new ValidationError('from and to must be dates YYYY-MM-DD, from not after to', { fields: ['from', 'to'] });
    const end = last.plus({ days: 1 }).startOf('day');
    if (end.diff(start, 'days').days > MAX_DAYS) throw new ValidationError(`at most ${MAX_DAYS} days at a time`, { fields: ['from', 'to'] });
    const [from, to] = [start.toJSDate(), end.toJSDate()];
    const [inbound, opened, closed, responses] = await Promise.all([
      this.conversations.inboundByDay(tenantId, zone, from, to),
      this.conversations.openedByDay(tenantId, zone, from, to),
      this.conversations.closedByDay(tenantId, zone, from, to),
      this.conversations.firstResponses(tenantId, from, to),
    ]);
    const days = new Map<string, InboxDay>();
    for (let d = start; d < end; d = d.plus({ days: 1 }).startOf('day')) days.set(d.toISODate(), emptyDay(d.toISODate()));
    for (const r of inbound) {
      const day = days.get(r.day);
      if (!day) continue;
      day.inbound += r.count;
      day.inboundByCategory[(r.key as ConversationCategory | null) ?? 'none'] += r.count;
    }
    for (const r of opened) if (days.has(r.day)) days.get(r.day)!.conversationsOpened += r.count;
    for (const r of closed) if (days.has(r.day)) days.get(r.day)!.conversationsClosed += r.count;
    const durations = new Map<string, number[]>();
    for (const r of responses) {
      const day = DateTime.fromJSDate(r.openedAt, { zone }).toISODate()!;
      const list = durations.get(day) ?? [];
      list.push(officeMillisBetween(hours, r.openedAt, r.firstResponseAt));
      durations.set(day, list);
    }
    for (const [day, list] of durations) {
      const d = days.get(day);
      if (!d) continue;
      d.firstResponses = list.length;
      d.medianFirstResponseOfficeMinutes = minutes(median(list));
    }
    return { from: fromDay, to: toDay, timezone: zone, days: [...days.values()], totals: totals([...days.values()], [...durations.values()].flat()) };
  }
}

function emptyDay(day: string): InboxDay {
  return {
    day,
    inbound: 0,
    inboundByCategory: Object.fromEntries([...CONVERSATION_CATEGORIES, 'none'].map((c) => [c, 0])) as CategoryCounts,
    conversationsOpened: 0,
    conversationsClosed: 0,
    firstResponses: 0,
    medianFirstResponseOfficeMinutes: null,
  };
}

function totals(days: InboxDay[], durations: number[]): Omit<InboxDay, 'day'> {
  const t = emptyDay('');
  for (const d of days) {
    t.inbound += d.inbound;
    for (const k of Object.keys(t.inboundByCategory) as (keyof CategoryCounts)[]) t.inboundByCategory[k] += d.inboundByCategory[k];
    t.conversationsOpened += d.conversationsOpened;
    t.conversationsClosed += d.conversationsClosed;
    t.firstResponses += d.firstResponses;
  }
  t.medianFirstResponseOfficeMinutes = minutes(median(durations));
  const { day: _day, ...rest } = t;
  return rest;
}

function minutes(ms: number | null): number | null {
  return ms === null ? null : Math.round((ms / 60_000) * 10) / 10;
}
