import { ValidationError } from '#common';
import type { MessageContent } from '#whatsapp';
import {
  checkDeadline,
  checkPublishedOn,
  deadlinePassed,
  decideAcceptance,
  italianDate,
  parsePolicyPayload,
  policyPayload,
  quickReplyIndex,
  todayIn,
  withAcceptButton,
} from './policy-rules.js';

const ID = '0b8f2a52-3c1e-4f7a-9d55-6f0e1c2b3a4d';

describe('privacy policy dates', () => {
  it('reads today in the comune’s calendar, not UTC', () => {
    // 23:30 UTC on 31 December is already New Year's Day in Rome.
    expect(todayIn('Europe/Rome', new Date('2026-12-31T23:30:00Z'))).toBe('2027-01-01');
    expect(todayIn('Europe/Rome', new Date('2026-12-31T22:30:00Z'))).toBe('2026-12-31');
  });

  it('keeps the whole deadline day open, local time, across a DST change', () => {
    // 29 March 2027: clocks in Rome went forward two days earlier (UTC+2).
    expect(deadlinePassed('2027-03-29', 'Europe/Rome', new Date('2027-03-29T21:59:00Z'))).toBe(false);
    expect(deadlinePassed('2027-03-29', 'Europe/Rome', new Date('2027-03-29T22:00:00Z'))).toBe(true);
    // Winter (UTC+1).
    expect(deadlinePassed('2027-01-31', 'Europe/Rome', new Date('2027-01-31T22:59:59Z'))).toBe(false);
    expect(deadlinePassed('2027-01-31', 'Europe/Rome', new Date('2027-01-31T23:00:00Z'))).toBe(true);
    expect(deadlinePassed(null, 'Europe/Rome', new Date('2099-01-01T00:00:00Z'))).toBe(false);
  });

  it('refuses a publication date in the future or not a date', () => {
    expect(() => checkPublishedOn('2027-01-15', '2027-01-15')).not.toThrow();
    expect(() => checkPublishedOn('2026-12-01', '2027-01-15')).not.toThrow();
    expect(() => checkPublishedOn('2027-01-16', '2027-01-15')).toThrow(/in the future/);
    expect(() => checkPublishedOn('2027-02-30', '2027-03-15')).toThrow(ValidationError);
  });

  it('asks a deadline to leave citizens at least 14 days, and to follow the publication', () => {
    expect(() => checkDeadline('2027-01-29', '2027-01-15', '2027-01-15')).not.toThrow();
    expect(() => checkDeadline('2027-01-28', '2027-01-15', '2027-01-15')).toThrow(/2027-01-29 or later/);
    // Published long ago, deadline set today: still two weeks from today.
    expect(() => checkDeadline('2027-03-01', '2026-06-01', '2027-02-20')).toThrow(/2027-03-06 or later/);
    expect(() => checkDeadline('2027-13-01', '2027-01-15', '2027-01-15')).toThrow(ValidationError);
  });

  it('writes dates as Italian citizens read them', () => {
    expect(italianDate('2027-01-15')).toBe('15 gennaio 2027');
    expect(italianDate('2027-08-01')).toBe('1 agosto 2027');
  });
});

describe('the accept button', () => {
  it('names the version it asks about, and reads back only its own payloads', () => {
    expect(parsePolicyPayload(policyPayload(ID))).toEqual({ versionId: ID });
    expect(parsePolicyPayload(`POLICY:${ID.toUpperCase()}`)).toEqual({ versionId: ID });
    expect(parsePolicyPayload('POLICY:not-an-id')).toEqual({ versionId: null });
    expect(parsePolicyPayload('CONFIRM:abc')).toBeNull();
    expect(parsePolicyPayload(null)).toBeNull();
  });

  it('turns the in-window text into a reply button, and fills the template’s quick reply outside it', () => {
    const text: MessageContent = { type: 'text', body: 'Nuova informativa', previewUrl: true };
    expect(withAcceptButton(text, 'POLICY:x', 'Accetto', null)).toEqual({
      type: 'interactive',
      body: 'Nuova informativa',
      action: { kind: 'buttons', buttons: [{ id: 'POLICY:x', title: 'Accetto' }] },
    });
    const template: MessageContent = {
      type: 'template',
      name: 'informativa',
      languageCode: 'it',
      buttons: [{ index: 1, subType: 'url', text: 'x' }],
    };
    expect(withAcceptButton(template, 'POLICY:x', 'Accetto', 0)).toEqual({
      ...template,
      buttons: [
        { index: 1, subType: 'url', text: 'x' },
        { index: 0, subType: 'quick_reply', payload: 'POLICY:x' },
      ],
    });
    // No quick reply in the template, or a text too long for an interactive body: as it is (ACCETTO works).
    expect(withAcceptButton(template, 'POLICY:x', 'Accetto', null)).toBe(template);
    const long: MessageContent = { type: 'text', body: 'x'.repeat(1025) };
    expect(withAcceptButton(long, 'POLICY:x', 'Accetto', null)).toBe(long);
  });

  it('finds the approved template’s first quick-reply button', () => {
    const components = [
      { type: 'BODY', text: 'Informativa {{1}}' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'Leggi', url: 'https://x.it' },
          { type: 'QUICK_REPLY', text: 'Accetto' },
        ],
      },
    ];
    expect(quickReplyIndex(components)).toBe(1);
    expect(quickReplyIndex([{ type: 'BODY', text: 'x' }])).toBeNull();
  });
});

describe('what an acceptance means', () => {
  const active = (accepted: string | null) => ({ status: 'active' as const, accepted });

  it('records the current version for an active subscriber who has not accepted it', () => {
    expect(decideAcceptance({ subscriber: active('2026-01'), current: '2027-01', requested: null })).toEqual({
      kind: 'accept',
      version: '2027-01',
      continueSignUp: false,
    });
    expect(decideAcceptance({ subscriber: active(null), current: '2027-01', requested: '2027-01' })).toMatchObject({ kind: 'accept' });
  });

  it('says so when there is nothing to accept', () => {
    expect(decideAcceptance({ subscriber: active('2027-01'), current: '2027-01', requested: null })).toEqual({
      kind: 'already_accepted',
      version: '2027-01',
    });
    expect(decideAcceptance({ subscriber: active(null), current: null, requested: null })).toEqual({ kind: 'nothing_to_accept' });
  });

  it('accepts nothing from the button of a request for a version since replaced', () => {
    expect(decideAcceptance({ subscriber: active('2026-01'), current: '2027-06', requested: '2027-01' })).toEqual({
      kind: 'outdated',
      requested: '2027-01',
      current: '2027-06',
      acceptedCurrent: false,
    });
    expect(decideAcceptance({ subscriber: active('2027-06'), current: '2027-06', requested: '2027-01' })).toMatchObject({
      kind: 'outdated',
      acceptedCurrent: true,
    });
  });

  it('lets a sign-up accept and carry on, as before versions existed', () => {
    const pending = (accepted: string | null) => ({ status: 'pending' as const, accepted });
    expect(decideAcceptance({ subscriber: pending(null), current: '2024-09', requested: null })).toEqual({
      kind: 'accept',
      version: '2024-09',
      continueSignUp: true,
    });
    expect(decideAcceptance({ subscriber: pending(null), current: null, requested: null })).toMatchObject({ kind: 'accept', version: 'accepted' });
    expect(decideAcceptance({ subscriber: pending('2024-09'), current: '2024-09', requested: null })).toEqual({ kind: 'continue_sign_up' });
  });

  it('answers those who are not subscribed', () => {
    expect(decideAcceptance({ subscriber: null, current: '2027-01', requested: null })).toEqual({ kind: 'not_subscribed' });
    expect(decideAcceptance({ subscriber: { status: 'unsubscribed', accepted: null }, current: '2027-01', requested: null })).toEqual({
      kind: 'not_subscribed',
    });
  });
});
