import { Injectable, Logger } from '@nestjs/common';
import { Clock, newId, type InboundMessageId, type TenantId } from '#common';
import {
  ContactRepository,
  InboundMessageRepository,
  PrivacyPolicyRepository,
  SubscriberRepository,
  SubscriptionConfigRepository,
  TenantRepository,
  WebSignupRepository,
  WhatsappNumberRepository,
  type ContactEntity,
  type InboundMessageEntity,
  type KeywordRuleEntity,
  type SubscriberEntity,
  type SubscriberField,
  type SubscriberListEntity,
  type SubscriptionSettingsEntity,
  type TenantEntity,
} from '#database';
import type { InteractiveContent, MessageContent, Recipient } from '#whatsapp';
import { CitizenBlocksService } from '../conversations/citizen-blocks.service.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { OutboundService } from '../messaging/outbound.service.js';
import { decideAcceptance, deadlinePassed, parsePolicyPayload } from '../privacy-policies/policy-rules.js';
import { matchFrazione, matchKeyword, parseName, type KeywordMatch, type KeywordRuleDef, type ListDef } from './keyword-matcher.js';
import { IT, renderReply } from './messages.it.js';

/**
 * How long a job holds a citizen's messages while it handles them (extended after each one): the
 * most a crashed worker holds them back before another job or the sweep takes over.
 */
const HANDLING_LEASE_MS = 30_000;

interface Ctx {
  tenant: TenantEntity;
  settings: SubscriptionSettingsEntity;
  lists: SubscriberListEntity[];
  rules: KeywordRuleEntity[];
  msg: InboundMessageEntity;
  contact: ContactEntity;
  to: Recipient;
  phone: string | null;
}

/**
 * Answers what citizens write to a comune's number: sign-ups and opt-outs by keyword (each comune's
 * own phrases, plus STOP, ANNULLA, CANCELLAMI, DISISCRIVIMI everywhere), the short dialogue that
 * collects missing fields, STATO and AIUTO, and, for one-way comuni, the auto-reply. Every consent
 * change is written to the ledger with its evidence. Replies answer the citizen's message, so they
 * go out as free-form messages inside the 24-hour window, through OutboundService.
 */
@Injectable()
export class KeywordService {
  private readonly logger = new Logger('Keywords');

  constructor(
    private readonly tenants: TenantRepository,
    private readonly config: SubscriptionConfigRepository,
    private readonly subscribers: SubscriberRepository,
    private readonly inbound: InboundMessageRepository,
    private readonly contacts: ContactRepository,
    private readonly numbers: WhatsappNumberRepository,
    private readonly signups: WebSignupRepository,
    private readonly outbound: OutboundService,
    private readonly blocks: CitizenBlocksService,
    private readonly conversations: ConversationsService,
    private readonly policies: PrivacyPolicyRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Handles a citizen's message (keyword, dialogue, reply, inbox) and then marks it handled: until
   * then the sweep queues it again (its job lost, or out of attempts; ADR 0007).
   */
  async handle(tenantId: TenantId, inboundMessageId: InboundMessageId): Promise<void> {
    const msg = await this.inbound.findById(tenantId, inboundMessageId);
    if (!msg) return;
    // One citizen's messages are acted on one at a time, in the order they were sent, whichever of
    // their jobs runs first: an ATTIVA and a STOP a second apart end with the STOP. The job holding
    // the contact's lease handles them all; a job that finds it held leaves its message to the
    // holder, which looks again after giving the lease back (ContactHandlingLease migration).
    const token = newId();
    const failed: InboundMessageId[] = [];
    let failure: Error | null = null;
    for (;;) {
      const lease = await this.contacts.takeHandling(tenantId, msg.contactId, token, HANDLING_LEASE_MS);
      if (lease === 'held') return;
      if (lease === 'gone') {
        // The contact was erased: nothing to answer, nothing to order.
        await this.inbound.markHandled(tenantId, msg.id);
        return;
      }
      let kept = true;
      try {
        for (;;) {
          const next = await this.inbound.nextUnhandledOfContact(tenantId, msg.contactId, failed);
          if (!next) break;
          try {
            await this.respond(tenantId, next);
            await this.inbound.markHandled(tenantId, next.id);
          } catch (err) {
            // Its later messages still go: one failing message must not hold back a STOP. This job
            // fails afterwards, and its retry (or the sweep) takes the failed one up again.
            failed.push(next.id);
            failure ??= err instanceof Error ? err : new Error(String(err));
            this.logger.warn(
              { event: 'inbound_handling_failed', tenantId, inboundMessageId: next.id, reason: err instanceof Error ? err.message : String(err) },
              "a citizen's message could not be handled: it is tried again",
            );
          }
          // Held a long time (a slow database): extended, or given up if it expired and another job took it.
          if ((await this.contacts.takeHandling(tenantId, msg.contactId, token, HANDLING_LEASE_MS)) !== 'taken') {
            kept = false;
            break;
          }
        }
      } finally {
        if (kept) await this.contacts.releaseHandling(tenantId, msg.contactId, token);
      }
      if (failure !== null) throw failure;
      // Messages that came in while the lease was held, whose jobs found it held.
      if (!kept || !(await this.inbound.nextUnhandledOfContact(tenantId, msg.contactId, failed))) return;
    }
  }

  /** Whether the message is STOP (or another universal opt-out) or one of the comune's opt-out phrases. */
  private async isOptOut(tenantId: TenantId, msg: InboundMessageEntity): Promise<boolean> {
    const text = textOf(msg);
    const settings = text ? await this.config.getSettings(tenantId) : null;
    if (!text || !settings) return false;
    const [lists, rules] = await Promise.all([this.config.lists(tenantId), this.config.rules(tenantId)]);
    const match = matchKeyword(text, rules.map(ruleDef), lists.map(listDef), settings.frazioni);
    return match.kind === 'stop_all' || (match.kind === 'rule' && match.rule.action === 'unsubscribe');
  }

  private async respond(tenantId: TenantId, msg: InboundMessageEntity): Promise<void> {
    if (msg.contentPurgedAt) return;
    // A blocked citizen's message is dropped (metadata kept) before anything answers it, unless it
    // is an opt-out: a block keeps someone out of the inbox, never on the comune's lists.
    if ((await this.blocks.isBlocked(tenantId, msg.contactId)) && !(await this.isOptOut(tenantId, msg))) {
      await this.blocks.dropIfBlocked(tenantId, msg);
      return;
    }
    const [tenant, settings] = await Promise.all([this.tenants.findById(tenantId), this.config.getSettings(tenantId)]);
    // A comune that has not configured sign-ups (yet) keeps its messages for the inbox only.
    if (!tenant || !settings) return tenant?.mode === 'two_way' ? this.conversations.receive(tenantId, msg.id) : undefined;
    const contact = await this.contacts.findById(tenantId, msg.contactId);
    if (!contact) return;
    const [lists, rules] = await Promise.all([this.config.lists(tenantId), this.config.rules(tenantId)]);
    const phone = contact.waId ? `+${contact.waId}` : null;
    const to: Recipient = phone ? { kind: 'phone', e164: phone } : { kind: 'bsuid', userId: contact.userId ?? '' };
    const ctx: Ctx = { tenant, settings, lists, rules, msg, contact, to, phone };

    let subscriber = phone
      ? await this.subscribers.findByPhone(tenantId, phone)
      : contact.userId
        ? await this.subscribers.findByUserId(tenantId, contact.userId)
        : null;
    if (subscriber?.status === 'blocked') return;
    if (subscriber)
      subscriber =
        (await this.subscribers.update(tenantId, subscriber.id, { lastInboundAt: msg.sentAt, waId: contact.waId ?? subscriber.waId })) ?? subscriber;

    // The confirm button of a web-form sign-up's template (double opt-in).
    const payload = buttonPayloadOf(msg);
    if (payload?.startsWith('CONFIRM:')) return this.confirmWebSignup(ctx, payload.slice(8));
    const tapped = replyIdOf(msg);
    // The accept button of a request to accept the privacy policy (template quick reply, or reply button in the window).
    const policyTap = parsePolicyPayload(payload) ?? parsePolicyPayload(tapped);
    if (policyTap) return this.acceptPolicy(ctx, subscriber, policyTap);
    // A tap on one of our interactive lists: a list row toggles that list, a frazione row answers the question.
    if (tapped?.startsWith('LIST:')) return this.toggleList(ctx, subscriber, tapped.slice(5));
    const text = tapped?.startsWith('FRAZ:') ? tapped.slice(5) : textOf(msg);
    const match: KeywordMatch = text ? matchKeyword(text, rules.map(ruleDef), lists.map(listDef), settings.frazioni) : { kind: 'none' };
    switch (match.kind) {
      case 'stop_all':
        return this.leave(ctx, subscriber, null, match.word);
      case 'status':
        return this.status(ctx, subscriber);
      case 'help':
        return this.reply(ctx, settings.helpText);
      case 'accept_policy':
        return this.acceptPolicy(ctx, subscriber, null);
      case 'rule':
        switch (match.rule.action) {
          case 'subscribe':
            return this.signUp(ctx, subscriber, match);
          case 'unsubscribe':
            return this.signOff(ctx, subscriber, match);
          case 'accept_policy':
            return this.acceptPolicy(ctx, subscriber, null);
          case 'help':
            return this.reply(ctx, ruleReply(rules, match.rule.id) ?? settings.helpText);
          case 'status':
            return this.status(ctx, subscriber);
        }
        return;
      case 'none':
        if (subscriber?.awaitingField) return this.answer(ctx, subscriber, text ?? '');
        return this.notAKeyword(ctx);
    }
  }

  private async signUp(ctx: Ctx, existing: SubscriberEntity | null, match: Extract<KeywordMatch, { kind: 'rule' }>): Promise<void> {
    const tenantId = ctx.tenant.id;
    if (ctx.tenant.status === 'suspended') return this.reply(ctx, IT.suspended);
    if (match.unknownHashtags.length > 0) return this.unknownHashtags(ctx, match);
    const target =
      match.lists.length > 0
        ? match.lists.map((l) => l.id)
        : match.rule.listIds.length > 0
          ? [...match.rule.listIds]
          : ctx.lists.filter((l) => l.isDefault).map((l) => l.id);
    let subscriber =
      existing ??
      (await this.subscribers.create(tenantId, {
        id: newId(),
        phoneE164: ctx.phone,
        waId: ctx.contact.waId,
        userId: ctx.contact.userId,
        source: 'keyword',
        status: 'pending',
      }));
    const fields = match.fields;
    subscriber =
      (await this.subscribers.update(tenantId, subscriber.id, {
        firstName: fields.firstName ?? subscriber.firstName,
        lastName: fields.lastName ?? subscriber.lastName,
        frazione: fields.frazione ?? subscriber.frazione,
        pendingListIds: [...new Set([...subscriber.pendingListIds, ...target])],
        lastInboundAt: ctx.msg.sentAt,
        ...(subscriber.status === 'unsubscribed' ? { status: 'pending' as const } : {}),
      })) ?? subscriber;
    return this.continueSignUp(ctx, subscriber, ruleReply(ctx.rules, match.rule.id));
  }

  /**
   * An opt-out keyword, read like a sign-up: the lists named, else the rule's own lists, else all of
   * them. A hashtag that names no list (a typo of #PUBBLICAUTILITA') changes nothing: taking it as
   * "no list named" would take the citizen off every list, emergencies included.
   */
  private async signOff(ctx: Ctx, subscriber: SubscriberEntity | null, match: Extract<KeywordMatch, { kind: 'rule' }>): Promise<void> {
    if (match.unknownHashtags.length > 0) return this.unknownHashtags(ctx, match);
    const target = match.lists.length > 0 ? match.lists.map((l) => l.id) : match.rule.listIds.length > 0 ? [...match.rule.listIds] : null;
    return this.leave(ctx, subscriber, target, match.rule.phrases[0] ?? '');
  }

  /** Names the hashtags the comune does not have and lists those it has, with the keyword as an example. */
  private unknownHashtags(ctx: Ctx, match: Extract<KeywordMatch, { kind: 'rule' }>): Promise<void> {
    const example = `${match.rule.phrases[0] ?? ''} ${ctx.lists[0]?.hashtag ?? ''}`.trim();
    return this.reply(ctx, IT.unknownHashtag, { sconosciuti: match.unknownHashtags.join(', '), esempio: example });
  }

  /** Asks for what is still missing, or activates the subscription when nothing is. */
  private async continueSignUp(ctx: Ctx, subscriber: SubscriberEntity, welcomeOverride: string | null = null): Promise<void> {
    const tenantId = ctx.tenant.id;
    // A comune the consortium suspended takes no one on (the dialogue stops where it is); leaving
    // always works.
    if (ctx.tenant.status === 'suspended') return this.reply(ctx, IT.suspended);
    const required = new Set<SubscriberField>(ctx.settings.requiredFields);
    if ((required.has('first_name') && !subscriber.firstName) || (required.has('last_name') && !subscriber.lastName)) {
      await this.subscribers.update(tenantId, subscriber.id, { awaitingField: 'first_name' });
      return this.reply(ctx, ctx.settings.askFirstNameText ?? IT.askName);
    }
    if (required.has('frazione') && !subscriber.frazione) {
      await this.subscribers.update(tenantId, subscriber.id, { awaitingField: 'frazione' });
      return this.askFrazione(ctx);
    }
    const policyVersion = ctx.tenant.privacyPolicyVersion;
    if (ctx.settings.policyRequired && subscriber.policyVersionAccepted !== (policyVersion ?? 'accepted')) {
      await this.subscribers.update(tenantId, subscriber.id, { awaitingField: 'policy' });
      return this.reply(ctx, IT.askPolicy);
    }

    const wanted = subscriber.pendingListIds.length > 0 ? subscriber.pendingListIds : ctx.lists.filter((l) => l.isDefault).map((l) => l.id);
    const added = await this.subscribers.inTransaction(tenantId, async () => {
      const newly = await this.subscribers.subscribe(tenantId, subscriber.id, wanted);
      await this.subscribers.update(tenantId, subscriber.id, {
        status: 'active',
        awaitingField: null,
        pendingListIds: [],
        activatedAt: subscriber.activatedAt && subscriber.status === 'active' ? subscriber.activatedAt : new Date(),
        unsubscribedAt: null,
      });
      if (newly.length > 0) {
        await this.subscribers.recordConsent(tenantId, {
          id: newId(),
          subscriberId: subscriber.id,
          type: 'opt_in',
          listIds: newly,
          policyVersion,
          channel: 'keyword',
          evidence: evidenceOf(ctx.msg),
        });
      }
      return newly;
    });
    const current = await this.listNames(ctx, subscriber.id);
    if (added.length === 0) return this.reply(ctx, IT.alreadySubscribed, { iscrizioni: current });
    await this.reply(ctx, welcomeOverride ?? ctx.settings.welcomeText, { nome: subscriber.firstName ?? '', iscrizioni: current });
    if (ctx.settings.contactCard) await this.sendContactCard(ctx);
  }

  /** The comune's own number as a contact card, so the citizen saves it with one tap (as the comuni ask). */
  private async sendContactCard(ctx: Ctx): Promise<void> {
    const number = await this.numbers.findById(ctx.tenant.id, ctx.msg.numberId);
    if (!number) return;
    await this.send(
      ctx,
      {
        type: 'contacts',
        contacts: [
          {
            formattedName: ctx.tenant.displayName,
            organization: ctx.tenant.displayName,
            phones: [{ phone: number.displayNumber, waId: number.displayNumber.slice(1), type: 'MAIN' }],
            ...(ctx.tenant.officeEmail ? { emails: [ctx.tenant.officeEmail] } : {}),
            ...(ctx.tenant.websiteUrl ? { urls: [ctx.tenant.websiteUrl] } : {}),
          },
        ],
      },
      'keyword_reply',
    );
  }

  /** Asks for the frazione; with up to ten frazioni, as a list the citizen taps rather than types. */
  private async askFrazione(ctx: Ctx, template: string = ctx.settings.askFrazioneText ?? IT.askFrazione): Promise<void> {
    const frazioni = ctx.settings.frazioni;
    if (frazioni.length < 2 || frazioni.length > 10) return this.reply(ctx, template);
    const content: InteractiveContent = {
      type: 'interactive',
      body: renderReply(template, this.commonVars(ctx)),
      action: {
        kind: 'list',
        button: 'Scegli la frazione',
        sections: [{ rows: frazioni.map((f) => ({ id: `FRAZ:${f}`.slice(0, 200), title: f.slice(0, 24) })) }],
      },
    };
    return this.send(ctx, content, 'keyword_reply');
  }

  /**
   * The citizen confirmed a web-form sign-up from WhatsApp: the subscription starts now, with the
   * form's data, and the ledger keeps both the form's evidence (time, IP, user agent) and the tap.
   */
  private async confirmWebSignup(ctx: Ctx, signupId: string): Promise<void> {
    const tenantId = ctx.tenant.id;
    if (ctx.tenant.status === 'suspended') return this.reply(ctx, IT.suspended);
    const signup = /^[0-9a-f-]{36}$/i.test(signupId) ? await this.signups.findById(tenantId, signupId) : null;
    if (!signup) return this.reply(ctx, IT.webSignupUnknown);
    const subscriber = await this.subscribers.findById(tenantId, signup.subscriberId);
    // The button must be tapped from the phone the form named.
    if (!subscriber || subscriber.phoneE164 !== ctx.phone) return this.reply(ctx, IT.webSignupUnknown);
    if (signup.status === 'confirmed') return this.reply(ctx, IT.alreadySubscribed, { iscrizioni: await this.listNames(ctx, subscriber.id) });
    if (!(await this.signups.confirm(tenantId, signup.id))) return this.reply(ctx, IT.webSignupExpired);
    const added = await this.subscribers.inTransaction(tenantId, async () => {
      const newly = await this.subscribers.subscribe(tenantId, subscriber.id, signup.listIds);
      await this.subscribers.update(tenantId, subscriber.id, {
        firstName: signup.firstName ?? subscriber.firstName,
        lastName: signup.lastName ?? subscriber.lastName,
        frazione: signup.frazione ?? subscriber.frazione,
        status: 'active',
        activatedAt: subscriber.status === 'active' ? subscriber.activatedAt : new Date(),
        unsubscribedAt: null,
        policyVersionAccepted: ctx.tenant.privacyPolicyVersion,
        lastInboundAt: ctx.msg.sentAt,
      });
      await this.subscribers.recordConsent(tenantId, {
        id: newId(),
        subscriberId: subscriber.id,
        type: 'opt_in',
        listIds: newly,
        policyVersion: ctx.tenant.privacyPolicyVersion,
        channel: 'web_form',
        evidence: {
          webSignupId: signup.id,
          formSubmittedAt: signup.createdAt.toISOString(),
          ip: signup.ip,
          userAgent: signup.userAgent,
          confirmation: evidenceOf(ctx.msg),
        },
      });
      return newly;
    });
    const current = await this.listNames(ctx, subscriber.id);
    if (added.length === 0) return this.reply(ctx, IT.alreadySubscribed, { iscrizioni: current });
    await this.reply(ctx, ctx.settings.welcomeText, { nome: signup.firstName ?? subscriber.firstName ?? '', iscrizioni: current });
    if (ctx.settings.contactCard) await this.sendContactCard(ctx);
  }

  /** A tapped row of the STATO list: join the list if not in it, leave it if in it. */
  private async toggleList(ctx: Ctx, subscriber: SubscriberEntity | null, slug: string): Promise<void> {
    const list = ctx.lists.find((l) => l.slug === slug);
    const rule = ctx.rules.find((r) => r.action === 'subscribe');
    if (!list || !rule) return this.status(ctx, subscriber);
    const active = subscriber ? await this.subscribers.activeListIds(ctx.tenant.id, subscriber.id) : [];
    if (subscriber && active.includes(list.id)) return this.leave(ctx, subscriber, [list.id], `LIST:${slug}`);
    return this.signUp(ctx, subscriber, {
      kind: 'rule',
      rule: ruleDef(rule),
      lists: [listDef(list)],
      unknownHashtags: [],
      fields: { firstName: null, lastName: null, frazione: null },
    });
  }

  /** The citizen answers the dialogue's last question. */
  private async answer(ctx: Ctx, subscriber: SubscriberEntity, text: string): Promise<void> {
    const tenantId = ctx.tenant.id;
    switch (subscriber.awaitingField) {
      case 'first_name':
      case 'last_name': {
        const name = parseName(text);
        if (!name.firstName) return this.reply(ctx, ctx.settings.askFirstNameText ?? IT.askName);
        const updated = await this.subscribers.update(tenantId, subscriber.id, {
          firstName: name.firstName,
          lastName: name.lastName ?? subscriber.lastName,
          awaitingField: null,
        });
        return this.continueSignUp(ctx, updated ?? subscriber);
      }
      case 'frazione': {
        const frazione = matchFrazione(text, ctx.settings.frazioni);
        if (!frazione) return this.askFrazione(ctx, IT.unknownFrazione);
        const updated = await this.subscribers.update(tenantId, subscriber.id, { frazione, awaitingField: null });
        return this.continueSignUp(ctx, updated ?? subscriber);
      }
      case 'policy':
        return this.reply(ctx, IT.askPolicy);
      case null:
        return;
    }
  }

  /**
   * The citizen accepts the privacy policy: by the keyword (the version in force), or by tapping
   * the button of a request (the version it asked about, which must still be in force). The
   * ledger keeps the version, the channel and the message as evidence, and the request it answers.
   */
  private async acceptPolicy(ctx: Ctx, subscriber: SubscriberEntity | null, tap: { versionId: string | null } | null): Promise<void> {
    const tenantId = ctx.tenant.id;
    const current = ctx.tenant.privacyPolicyVersion;
    // A tap naming no version of this comune (forged, mangled) reads as a typed ACCETTO.
    const asked = tap?.versionId ? await this.policies.findById(tenantId, tap.versionId) : null;
    const decision = decideAcceptance({
      subscriber: subscriber ? { status: subscriber.status, accepted: subscriber.policyVersionAccepted } : null,
      current,
      requested: asked?.version ?? null,
    });
    switch (decision.kind) {
      case 'not_subscribed':
        return this.reply(ctx, IT.notSubscribed);
      case 'nothing_to_accept':
        return this.reply(ctx, IT.policyNothingToAccept);
      case 'already_accepted':
        return this.reply(ctx, IT.policyAlreadyAccepted, { versione: decision.version });
      case 'outdated':
        return this.reply(ctx, decision.acceptedCurrent ? IT.policyOutdatedAccepted : IT.policyOutdated, {
          richiesta: decision.requested,
          versione: decision.current,
        });
      case 'continue_sign_up':
        return this.continueSignUp(ctx, subscriber!);
      case 'accept':
        break;
    }
    const s = subscriber!;
    const currentRow = current ? await this.policies.findByVersion(tenantId, current) : null;
    // Past the deadline, this subscriber was getting only emergencies: tell them everything is back.
    const wasPaused =
      !decision.continueSignUp && currentRow !== null && deadlinePassed(currentRow.acceptanceDeadline, ctx.tenant.timezone, this.clock.now());
    const request = ctx.msg.contextMessageId ? await this.policies.requestOfMessage(tenantId, ctx.msg.contextMessageId) : null;
    await this.subscribers.inTransaction(tenantId, async () => {
      await this.subscribers.update(tenantId, s.id, {
        policyVersionAccepted: decision.version,
        awaitingField: s.awaitingField === 'policy' ? null : s.awaitingField,
      });
      await this.subscribers.recordConsent(tenantId, {
        id: newId(),
        subscriberId: s.id,
        type: 'policy_accepted',
        listIds: [],
        policyVersion: decision.version,
        // A tap on our button is WhatsApp's own evidence; a typed word is a keyword.
        channel: tap ? 'whatsapp' : 'keyword',
        evidence: {
          ...evidenceOf(ctx.msg),
          via: tap ? 'button' : 'keyword',
          ...(tap ? {} : { keyword: (textOf(ctx.msg) ?? '').trim().toUpperCase().slice(0, 50) }),
          ...(ctx.msg.contextMessageId ? { inReplyTo: ctx.msg.contextMessageId } : {}),
          ...(request ? { requestCampaignId: request.campaignId } : {}),
        },
      });
    });
    const updated = (await this.subscribers.findById(tenantId, s.id)) ?? s;
    if (updated.status === 'pending') return this.continueSignUp(ctx, updated);
    return this.reply(ctx, wasPaused ? IT.policyAcceptedResumed : IT.policyAccepted, { versione: decision.version });
  }

  /** Leaves some lists, or all of them (listIds null). */
  private async leave(ctx: Ctx, subscriber: SubscriberEntity | null, listIds: string[] | null, keyword: string): Promise<void> {
    const tenantId = ctx.tenant.id;
    if (!subscriber || (subscriber.status !== 'active' && subscriber.status !== 'pending')) return this.reply(ctx, IT.notSubscribed);
    const left = await this.subscribers.inTransaction(tenantId, async () => {
      const gone = await this.subscribers.unsubscribe(tenantId, subscriber.id, listIds);
      const remaining = await this.subscribers.activeListIds(tenantId, subscriber.id);
      if (remaining.length === 0) {
        await this.subscribers.update(tenantId, subscriber.id, {
          status: 'unsubscribed',
          unsubscribedAt: new Date(),
          awaitingField: null,
          pendingListIds: [],
        });
      }
      await this.subscribers.recordConsent(tenantId, {
        id: newId(),
        subscriberId: subscriber.id,
        type: 'opt_out',
        listIds: gone,
        policyVersion: ctx.tenant.privacyPolicyVersion,
        channel: 'keyword',
        evidence: { ...evidenceOf(ctx.msg), keyword: keyword.toUpperCase() },
      });
      return { gone, remaining };
    });
    if (left.remaining.length === 0) return this.reply(ctx, ctx.settings.goodbyeText);
    if (left.gone.length === 0) return this.reply(ctx, IT.status, { iscrizioni: await this.listNames(ctx, subscriber.id) });
    return this.reply(ctx, IT.goodbyeLists, { liste: this.namesOf(ctx, left.gone), iscrizioni: this.namesOf(ctx, left.remaining) });
  }

  /**
   * The citizen's lists and the keywords to change them; where the comune has several lists (up to
   * ten), as an interactive list: tapping a row joins or leaves that list.
   */
  private async status(ctx: Ctx, subscriber: SubscriberEntity | null): Promise<void> {
    const active = subscriber?.status === 'active' ? await this.subscribers.activeListIds(ctx.tenant.id, subscriber.id) : [];
    const text =
      active.length > 0
        ? renderReply(IT.status, { ...this.commonVars(ctx), iscrizioni: this.namesOf(ctx, active) })
        : renderReply(IT.statusNone, this.commonVars(ctx));
    const canToggle = ctx.rules.some((r) => r.action === 'subscribe');
    if (ctx.lists.length < 2 || ctx.lists.length > 10 || !canToggle)
      return this.send(ctx, { type: 'text', body: text, previewUrl: true }, 'keyword_reply');
    return this.send(
      ctx,
      {
        type: 'interactive',
        body: text,
        footer: 'Tocca una lista per iscriverti o cancellarti',
        action: {
          kind: 'list',
          button: 'Le liste',
          sections: [
            {
              rows: ctx.lists.map((l) => ({
                id: `LIST:${l.slug}`,
                title: l.name.slice(0, 24),
                description: active.includes(l.id) ? 'Iscritto/a: tocca per cancellarti' : 'Tocca per iscriverti',
              })),
            },
          ],
        },
      },
      'keyword_reply',
    );
  }

  /**
   * Not a keyword. One-way comuni answer with their auto-reply at most once a day per citizen and keep
   * only that the message arrived; two-way comuni put it in the citizen's conversation (the inbox).
   */
  private async notAKeyword(ctx: Ctx): Promise<void> {
    if (ctx.tenant.mode !== 'one_way') return this.conversations.receive(ctx.tenant.id, ctx.msg.id);
    await this.inbound.forgetContent(ctx.tenant.id, ctx.msg.id);
    if (!ctx.settings.autoReplyText) return;
    if (!(await this.contacts.claimAutoReply(ctx.tenant.id, ctx.contact.id))) return;
    return this.reply(ctx, ctx.settings.autoReplyText, {}, 'auto_reply');
  }

  private reply(
    ctx: Ctx,
    template: string,
    vars: Record<string, string> = {},
    kind: 'keyword_reply' | 'auto_reply' = 'keyword_reply',
  ): Promise<void> {
    const body = renderReply(template, { ...this.commonVars(ctx), ...vars });
    return this.send(ctx, { type: 'text', body, previewUrl: true }, kind);
  }

  private async send(ctx: Ctx, content: MessageContent, kind: 'keyword_reply' | 'auto_reply'): Promise<void> {
    try {
      await this.outbound.send(ctx.tenant.id, {
        numberId: ctx.msg.numberId,
        to: ctx.to,
        content,
        kind,
        category: 'service',
        replyToWamid: ctx.msg.wamid,
      });
    } catch (err) {
      // The citizen's change is recorded whatever happens to the reply; a failed reply is logged, not retried here.
      this.logger.warn({ event: 'keyword_reply_not_sent', tenantId: ctx.tenant.id, inboundMessageId: ctx.msg.id, reason: (err as Error).message });
    }
  }

  private commonVars(ctx: Ctx): Record<string, string> {
    const subscribePhrases = ctx.rules.filter((r) => r.action === 'subscribe').map((r) => r.phrases[0] ?? '');
    const unsubscribePhrases = ctx.rules.filter((r) => r.action === 'unsubscribe').map((r) => r.phrases[0] ?? '');
    return {
      comune: ctx.tenant.displayName,
      informativa: ctx.tenant.privacyPolicyUrl ?? IT.noPolicyLink,
      uffici: [ctx.tenant.officePhone, ctx.tenant.officeEmail].filter(Boolean).join(', ') || IT.noOffices,
      liste: ctx.lists.map((l) => `${l.hashtag} (${l.name})`).join(', ') || IT.none,
      parole: [...subscribePhrases, ...unsubscribePhrases, 'STATO', 'STOP'].filter(Boolean).join(', '),
      frazioni: ctx.settings.frazioni.join(', '),
    };
  }

  private async listNames(ctx: Ctx, subscriberId: string): Promise<string> {
    return this.namesOf(ctx, await this.subscribers.activeListIds(ctx.tenant.id, subscriberId));
  }

  private namesOf(ctx: Ctx, ids: readonly string[]): string {
    const names = ctx.lists.filter((l) => ids.includes(l.id)).map((l) => `${l.name} (${l.hashtag})`);
    return names.length > 0 ? names.join(', ') : IT.none;
  }
}

function ruleDef(r: KeywordRuleEntity): KeywordRuleDef {
  return { id: r.id, action: r.action, phrases: r.phrases, listIds: r.listIds };
}

function listDef(l: SubscriberListEntity): ListDef {
  return { id: l.id, slug: l.slug, hashtag: l.hashtag, name: l.name };
}

function ruleReply(rules: readonly KeywordRuleEntity[], id: string): string | null {
  return rules.find((r) => r.id === id)?.replyText ?? null;
}

/** The payload of a template's quick-reply button the citizen tapped. */
function buttonPayloadOf(msg: InboundMessageEntity): string | null {
  const c = msg.content as { type?: string; payload?: string };
  return c.type === 'button' && typeof c.payload === 'string' ? c.payload : null;
}

/** The id of the row or button a citizen tapped in one of our interactive messages. */
function replyIdOf(msg: InboundMessageEntity): string | null {
  const c = msg.content as { type?: string; id?: string };
  return c.type === 'interactive_reply' && typeof c.id === 'string' ? c.id : null;
}

/** What a citizen's message says, for keyword matching: its text, or the payload of a tapped button. */
function textOf(msg: InboundMessageEntity): string | null {
  const c = msg.content as { type?: string; body?: string; payload?: string; text?: string; id?: string; title?: string };
  switch (c.type ?? '') {
    case 'text':
      return c.body ?? null;
    case 'button':
      return c.payload ?? c.text ?? null;
    case 'interactive_reply':
      return c.title ?? c.id ?? null;
    default:
      return null;
  }
}

function evidenceOf(msg: InboundMessageEntity): Record<string, unknown> {
  return { inboundMessageId: msg.id, wamid: msg.wamid, receivedAt: msg.receivedAt.toISOString() };
}
