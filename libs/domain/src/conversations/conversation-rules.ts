import type { AppointmentStatus, AutoReplyKind, ConversationCategory, ConversationStatus } from '#database';
import { CONVERSATION_CATEGORIES } from '#database';
import { nextOpening, type OfficeHours } from './office-hours.js';

/** Row ids of the interactive messages the inbox sends; a tap comes back with the same id. */
export const REPLY_IDS = {
  category: 'CAT:',
  office: 'OFF:',
  appointment: 'APPT:',
} as const;

/**
 * What the platform answers a citizen's message on its own. Inside hours: an acknowledgement when
 * a conversation opens. Outside hours: when the office reopens, once per closed stretch (a citizen
 * who writes five times in the night is told once; one who writes again after the office has
 * opened and closed again is told again).
 */
export function autoReplyFor(input: {
  created: boolean;
  openNow: boolean;
  last: { kind: AutoReplyKind | null; at: Date | null };
  now: Date;
  hours: OfficeHours;
}): 'ack' | 'closed' | null {
  if (input.openNow) return input.created ? 'ack' : null;
  const { kind, at } = input.last;
  if (kind === 'closed' && at) {
    const reopened = nextOpening(input.hours, at);
    if (reopened === null || reopened > input.now) return null;
  }
  return 'closed';
}

/**
 * Whether a message raises an emergency: it starts with the comune's emergency word, compared
 * without case, accents or punctuation ("Emergenza! albero sulla strada", "EMERGENZA").
 */
export function isEmergency(text: string | null, keyword: string): boolean {
  if (!text) return false;
  const word = fold(keyword);
  if (!word) return false;
  const words = fold(text).split(' ');
  const wanted = word.split(' ');
  return wanted.every((w, i) => words[i] === w);
}

function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

const CONVERSATION_MOVES: Record<ConversationStatus, readonly ConversationStatus[]> = {
  open: ['pending', 'closed'],
  pending: ['open', 'closed'],
  closed: ['open'],
};

/** Editors move a conversation open ⇄ pending (waiting for the citizen) → closed, and may reopen it. */
export function canMoveConversation(from: ConversationStatus, to: ConversationStatus): boolean {
  return from === to || CONVERSATION_MOVES[from].includes(to);
}

const APPOINTMENT_MOVES: Record<AppointmentStatus, readonly AppointmentStatus[]> = {
  requested: ['proposed', 'confirmed', 'declined'],
  // A new proposal replaces the previous one; the citizen's "no" or the office may decline it.
  proposed: ['proposed', 'confirmed', 'declined'],
  // A confirmed appointment can still be cancelled.
  confirmed: ['declined'],
  declined: [],
};

export function canMoveAppointment(from: AppointmentStatus, to: AppointmentStatus): boolean {
  return APPOINTMENT_MOVES[from].includes(to);
}

/** The category a tapped row names, or null. */
export function categoryOfReply(replyId: string | null): ConversationCategory | null {
  if (!replyId?.startsWith(REPLY_IDS.category)) return null;
  const c = replyId.slice(REPLY_IDS.category.length);
  return (CONVERSATION_CATEGORIES as readonly string[]).includes(c) ? (c as ConversationCategory) : null;
}

/** A tapped answer to an appointment proposal: APPT:<id>:SI / APPT:<id>:NO. */
export function appointmentAnswerOf(replyId: string | null): { appointmentId: string; accept: boolean } | null {
  const m = /^APPT:([0-9a-f-]{36}):(SI|NO)$/i.exec(replyId ?? '');
  return m ? { appointmentId: m[1].toLowerCase(), accept: m[2].toUpperCase() === 'SI' } : null;
}

/** The median of some durations; null when there are none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
