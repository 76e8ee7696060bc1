import { DateTime } from 'luxon';
import { ValidationError } from '#common';
import type { SubscriberStatus } from '#database';
import type { MessageContent } from '#whatsapp';
import { approvedTemplateButtons } from '../campaigns/template-rendering.js';
import { PolicyErrorCode } from './privacy-policies.errors.js';

/**
 * The rules of privacy policy versions and their acceptance that need no I/O: dates in the
 * comune's calendar, the deadline, what a citizen's ACCETTO (or tap) means, and the accept button
 * a request carries. Specs beside them.
 */

/** A deadline must leave citizens at least this long to read and accept the new text. */
export const MIN_DEADLINE_NOTICE_DAYS = 14;

/** Payload of the accept button of a request (template quick reply or interactive reply): names the version asked about. */
const PAYLOAD_PREFIX = 'POLICY:';
/** WhatsApp limits an interactive message's body to 1,024 characters; a longer text goes as plain text (ACCETTO still works). */
const INTERACTIVE_BODY_MAX = 1024;
const YMD = /^\d{4}-\d{2}-\d{2}$/;

export function policyPayload(versionId: string): string {
  return `${PAYLOAD_PREFIX}${versionId}`;
}

/**
 * Reads a tapped button: null when it is not an accept button; otherwise the version id it names
 * (null when it names none that could exist: a forged or mangled payload).
 */
export function parsePolicyPayload(payload: string | null): { versionId: string | null } | null {
  if (!payload?.startsWith(PAYLOAD_PREFIX)) return null;
  const id = payload.slice(PAYLOAD_PREFIX.length);
  return { versionId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id.toLowerCase() : null };
}

/** Today's date (YYYY-MM-DD) in the comune's timezone. */
export function todayIn(timezone: string, now: Date): string {
  return DateTime.fromJSDate(now, { zone: timezone }).toISODate()!;
}

/**
 * True once the deadline day is over in the comune's timezone: a deadline of 31 January means
 * citizens may accept during all of 31 January, local time.
 */
export function deadlinePassed(deadline: string | null, timezone: string, now: Date): boolean {
  if (!deadline) return false;
  const end = DateTime.fromISO(deadline, { zone: timezone }).plus({ days: 1 }).startOf('day');
  return now.getTime() >= end.toMillis();
}

/** A publication date: a real date, not in the future (a version is published when the comune says so, not before). */
export function checkPublishedOn(publishedOn: string, today: string): void {
  if (!isDate(publishedOn)) throw new ValidationError('publishedOn must be a date such as 2027-01-15', { field: 'publishedOn' });
  if (publishedOn > today) {
    throw new ValidationError(
      `publishedOn ${publishedOn} is in the future: publish the version on the day it takes effect`,
      { field: 'publishedOn' },
      PolicyErrorCode.PublishedInFuture,
    );
  }
}

/** An acceptance deadline: after publication and at least MIN_DEADLINE_NOTICE_DAYS from today. */
export function checkDeadline(deadline: string, publishedOn: string, today: string): void {
  if (!isDate(deadline)) throw new ValidationError('acceptanceDeadline must be a date such as 2027-02-28', { field: 'acceptanceDeadline' });
  const earliest = DateTime.fromISO(today).plus({ days: MIN_DEADLINE_NOTICE_DAYS }).toISODate()!;
  if (deadline <= publishedOn || deadline < earliest) {
    throw new ValidationError(
      `acceptanceDeadline must leave citizens at least ${MIN_DEADLINE_NOTICE_DAYS} days: ${earliest} or later`,
      { field: 'acceptanceDeadline', earliest },
      PolicyErrorCode.DeadlineTooSoon,
    );
  }
}

/** '2027-01-15' → '15 gennaio 2027', as citizens read dates. */
export function italianDate(ymd: string): string {
  return DateTime.fromISO(ymd).setLocale('it').toFormat('d MMMM yyyy');
}

function isDate(value: string): boolean {
  return YMD.test(value) && DateTime.fromISO(value).isValid;
}

export interface AcceptanceInput {
  /** The citizen as a subscriber of the comune, or null when they are not one. */
  subscriber: { status: SubscriberStatus; accepted: string | null } | null;
  /** The comune's current version (null when it has never set one). */
  current: string | null;
  /** The version a tapped accept button asked about; null for a typed ACCETTO (it means the current one). */
  requested: string | null;
}

export type AcceptanceDecision =
  | { kind: 'not_subscribed' }
  /** Record the acceptance of `version`; a sign-up waiting for it then continues. */
  | { kind: 'accept'; version: string; continueSignUp: boolean }
  /** A sign-up whose citizen had already accepted: just carry on with it. */
  | { kind: 'continue_sign_up' }
  | { kind: 'already_accepted'; version: string }
  /** The tap answers a request for a version that has been replaced since. */
  | { kind: 'outdated'; requested: string; current: string; acceptedCurrent: boolean }
  | { kind: 'nothing_to_accept' };

/**
 * What a citizen's acceptance means. A subscriber signing up accepts the current version (or, for
 * a comune that never set one, the policy as such: 'accepted', as before versions existed); an
 * active subscriber accepts the current version unless they already have; a tap on the button of
 * an older request accepts nothing, since the citizen has not seen the text now in force.
 */
export function decideAcceptance(input: AcceptanceInput): AcceptanceDecision {
  const { subscriber, current, requested } = input;
  if (!subscriber || (subscriber.status !== 'active' && subscriber.status !== 'pending')) return { kind: 'not_subscribed' };
  if (requested !== null && requested !== current) {
    if (current === null) return { kind: 'nothing_to_accept' };
    return { kind: 'outdated', requested, current, acceptedCurrent: subscriber.accepted === current };
  }
  if (subscriber.status === 'pending') {
    const version = current ?? 'accepted';
    return subscriber.accepted === version ? { kind: 'continue_sign_up' } : { kind: 'accept', version, continueSignUp: true };
  }
  if (current === null) return { kind: 'nothing_to_accept' };
  if (subscriber.accepted === current) return { kind: 'already_accepted', version: current };
  return { kind: 'accept', version: current, continueSignUp: false };
}

/** The index of the approved template's first quick-reply button (Meta echoes our payload when it is tapped), if any. */
export function quickReplyIndex(components: readonly unknown[]): number | null {
  return approvedTemplateButtons(components).find((b) => b.type === 'QUICK_REPLY')?.index ?? null;
}

/**
 * Adds the accept button to a request as it goes to one citizen: inside the window the text
 * becomes an interactive message with a reply button; outside it, the approved template's
 * quick-reply button carries the payload. Without a place for a button the message goes as it is:
 * the text asks for ACCETTO, which works as well.
 */
export function withAcceptButton(content: MessageContent, payload: string, buttonTitle: string, quickReply: number | null): MessageContent {
  if (content.type === 'text' && content.body.length <= INTERACTIVE_BODY_MAX) {
    return { type: 'interactive', body: content.body, action: { kind: 'buttons', buttons: [{ id: payload, title: buttonTitle }] } };
  }
  if (content.type === 'template' && quickReply !== null) {
    const others = (content.buttons ?? []).filter((b) => b.index !== quickReply);
    return { ...content, buttons: [...others, { index: quickReply, subType: 'quick_reply', payload }] };
  }
  return content;
}
