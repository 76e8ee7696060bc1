import { CronExpressionParser } from 'cron-parser';
import { DateTime } from 'luxon';
import { ConflictError, ValidationError } from '#common';
import type { CampaignPriority, CampaignStatus, MessageCategory, MessagingTier } from '#database';
import type { MessageContent, TemplateContent } from '#whatsapp';
import { mediaMessage, type SendableMedia } from './template-rendering.js';

/** What editors and admins can do to a campaign, and from which states (draft → scheduled → sending → completed). */
export type CampaignAction = 'edit' | 'send' | 'schedule' | 'approve' | 'reject' | 'pause' | 'resume' | 'cancel';

const ALLOWED: Record<CampaignAction, readonly CampaignStatus[]> = {
  edit: ['draft'],
  send: ['draft'],
  schedule: ['draft'],
  approve: ['awaiting_approval'],
  reject: ['awaiting_approval'],
  pause: ['sending'],
  resume: ['paused'],
  cancel: ['draft', 'awaiting_approval', 'scheduled', 'sending', 'paused'],
};

export function canApply(status: CampaignStatus, action: CampaignAction): boolean {
  return ALLOWED[action].includes(status);
}

/** Throws a 409-mapped error naming the state when the action does not apply. */
export function assertCanApply(status: CampaignStatus, action: CampaignAction): void {
  if (!canApply(status, action)) {
    throw new ConflictError(
      `a campaign that is ${status.replace('_', ' ')} cannot be ${ACTION_PAST[action]} (allowed from: ${ALLOWED[action].join(', ')})`,
      'CAMPAIGN_STATE',
    );
  }
}

const ACTION_PAST: Record<CampaignAction, string> = {
  edit: 'edited',
  send: 'sent',
  schedule: 'scheduled',
  approve: 'approved',
  reject: 'rejected',
  pause: 'paused',
  resume: 'resumed',
  cancel: 'cancelled',
};

/** Priority of an outbound row: emergencies go ahead of everything else on their number. */
export function outboundPriority(priority: CampaignPriority): number {
  return priority === 'emergency' ? 10 : 0;
}

/** Meta's messaging limits: distinct users a business portfolio may reach outside the window per rolling 24 h. */
export const TIER_LIMITS: Record<MessagingTier, number | null> = {
  tier_250: 250,
  tier_2k: 2_000,
  tier_10k: 10_000,
  tier_100k: 100_000,
  unlimited: null,
};

export interface CapacityView {
  limit: number | null;
  used: number;
  reserve: number;
  /** What this campaign may still use now: emergencies may dip into the reserve, normal campaigns may not. Null when unlimited. */
  available: number | null;
}

export function capacityFor(tier: MessagingTier, used: number, reserve: number, priority: CampaignPriority): CapacityView {
  const limit = TIER_LIMITS[tier];
  if (limit === null) return { limit, used, reserve, available: null };
  const keep = priority === 'emergency' ? 0 : reserve;
  return { limit, used, reserve, available: Math.max(0, limit - used - keep) };
}

/** 'HH:MM' → minutes after midnight. */
function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/**
 * When the quiet period that `now` falls in ends, in the comune's timezone; null when `now` is not
 * quiet. Periods may cross midnight (21:00–08:00). Wall-clock times are resolved by luxon, so the
 * night of a DST change ends at the right instant.
 */
export function quietHoursEnd(now: Date, timezone: string, start: string, end: string): Date | null {
  const local = DateTime.fromJSDate(now, { zone: timezone });
  const t = local.hour * 60 + local.minute;
  const s = minutes(start);
  const e = minutes(end);
  if (s === e) return null;
  const inside = s < e ? t >= s && t < e : t >= s || t < e;
  if (!inside) return null;
  const endDay = s < e || t < e ? local : local.plus({ days: 1 });
  return endDay.set({ hour: Math.floor(e / 60), minute: e % 60, second: 0, millisecond: 0 }).toJSDate();
}

/**
 * A schedule time as editors give it: an ISO timestamp with an offset is taken as is; one without
 * ('2026-11-24T10:00') is wall-clock time in the comune's timezone.
 */
export function parseScheduleTime(input: string, timezone: string): Date {
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(input.trim());
  const dt = hasOffset ? DateTime.fromISO(input.trim(), { setZone: true }) : DateTime.fromISO(input.trim(), { zone: timezone });
  if (!dt.isValid)
    throw new ValidationError(`scheduledAt must be an ISO date and time such as 2026-11-24T10:00 (${dt.invalidExplanation ?? 'invalid'})`);
  return dt.toJSDate();
}

/** Validates a five-field cron expression for a recurring schedule. */
export function assertCron(cron: string, timezone: string): void {
  if (cron.trim().split(/\s+/).length !== 5) throw new ValidationError('cron must have five fields: minute hour day-of-month month day-of-week');
  try {
    CronExpressionParser.parse(cron, { tz: timezone });
  } catch (err) {
    throw new ValidationError(`cron is not valid: ${(err as Error).message}`);
  }
}

/** The first run of a recurring schedule strictly after `after`, in the comune's timezone. */
export function nextRun(cron: string, timezone: string, after: Date): Date {
  return CronExpressionParser.parse(cron, { currentDate: after, tz: timezone }).next().toDate();
}

export type RecipientPlan =
  | { kind: 'send'; content: MessageContent; category: MessageCategory }
  | { kind: 'skip'; reason: string; action: string }
  | { kind: 'fail'; reason: string; action: string }
  | { kind: 'defer'; until: Date; reason: string };

export interface RecipientDecisionInput {
  /** The citizen wrote to this number in the last 24 hours. */
  windowOpen: boolean;
  /** Meta already refused free text for this message (window closed): only the template may go. */
  forceTemplate: boolean;
  /** The text this recipient would read as a free-form message (null when the campaign has none). */
  text: string | null;
  /** The attachment as WhatsApp takes it (link, or the provider's id of the uploaded file). */
  media: SendableMedia | null;
  /** The approved template's content for this recipient, when the campaign has one. */
  template: {
    content: TemplateContent;
    category: 'utility' | 'marketing' | 'authentication';
    approved: boolean;
    name: string;
    status: string;
  } | null;
  marketingOptedOut: boolean;
}

/**
 * Free text (with the media) inside the 24-hour window, the approved template outside it; a
 * marketing template to a citizen who stopped marketing messages is skipped with that reason.
 */
export function decideRecipientMessage(input: RecipientDecisionInput): RecipientPlan {
  if (input.windowOpen && !input.forceTemplate && input.text !== null) {
    const content: MessageContent = input.media ? mediaMessage(input.media, input.text) : { type: 'text', body: input.text, previewUrl: true };
    return { kind: 'send', content, category: 'service' };
  }
  const t = input.template;
  if (!t) {
    return {
      kind: 'fail',
      reason: 'the citizen is outside the 24-hour window and the campaign has no approved WhatsApp template',
      action: 'window_closed',
    };
  }
  if (!t.approved) {
    return { kind: 'fail', reason: `the WhatsApp template ${t.name} is ${t.status}, not APPROVED`, action: 'template' };
  }
  if (t.category === 'marketing' && input.marketingOptedOut) {
    return { kind: 'skip', reason: 'the citizen stopped marketing messages from this number', action: 'marketing_opt_out' };
  }
  return { kind: 'send', content: t.content, category: t.category };
}

/** What a campaign message whose media id Meta refused records, so the retry with a fresh upload happens once. */
export const MEDIA_REUPLOAD_ACTION = 'media_reupload';

/**
 * Meta's answers to a send whose media id it does not know (the upload expired or is gone):
 * invalid parameter (100), parameter value not valid (131009) or media error (131053). Only for
 * a message that carried an uploaded file's id; the caller bounds the re-uploads it leads to.
 */
const MEDIA_ID_REFUSAL_CODES: ReadonlySet<number> = new Set([100, 131009, 131053]);

export function isMediaIdRefusal(err: { kind: string; code: number | null }): boolean {
  return err.kind === 'api' && err.code !== null && MEDIA_ID_REFUSAL_CODES.has(err.code);
}

/** The provider media id a message carries (a media message, or a template's media header), if any. */
export function providerMediaIdOf(content: MessageContent): string | null {
  switch (content.type) {
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return content.mediaId ?? null;
    case 'template':
      return content.headerMedia?.mediaId ?? null;
    case 'text':
    case 'interactive':
    case 'contacts':
      return null;
  }
}
