import { Injectable } from '@nestjs/common';
import { Clock, normalizePhone, ValidationError, type TenantId } from '#common';
import { InboxSettingsRepository, TenantRepository, type InboxSettingsInput } from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { COMUNE_PRESETS } from '../subscriptions/presets.js';
import { isOfficeOpen, nextOpening, officeHoursProblems, type OfficeHours } from './office-hours.js';

/** The settings a comune's inbox runs with, and the office hours they describe. */
export interface EffectiveInboxSettings extends InboxSettingsInput {
  /** False: the comune saved nothing yet and runs on the defaults. */
  configured: boolean;
  hours: OfficeHours;
}

const TEMPLATE_NAME_RE = /^[a-z0-9_]{1,512}$/;

function defaults(): InboxSettingsInput {
  return {
    timezone: null,
    weeklySchedule: {},
    closedOnHolidays: true,
    patronDay: null,
    closedDates: [],
    emergencyKeyword: 'EMERGENZA',
    onDutyPhone: null,
    onDutyEmail: null,
    onDutyTemplateName: null,
    noticeTemplateName: null,
    templateLanguage: 'it',
    offerCategories: true,
    appointmentOffices: [],
    ackText: null,
    closedText: null,
    emergencyText: null,
  };
}

/** Office hours, texts, the emergency keyword and the on-duty contact of a comune's inbox (its admins manage them). */
@Injectable()
export class InboxSettingsService {
  constructor(
    private readonly settings: InboxSettingsRepository,
    private readonly tenants: TenantRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async get(tenantId: TenantId): Promise<EffectiveInboxSettings> {
    const [saved, tenant] = await Promise.all([this.settings.get(tenantId), this.tenants.findById(tenantId)]);
    const s: InboxSettingsInput = saved ? pick(saved) : defaults();
    return { ...s, configured: saved !== null, hours: hoursOf(s, tenant?.timezone ?? 'Europe/Rome') };
  }

  /** Whether the office is open now and when it next opens. */
  async status(tenantId: TenantId): Promise<{ openNow: boolean; nextOpeningAt: Date | null }> {
    const { hours } = await this.get(tenantId);
    const now = this.clock.now();
    return { openNow: isOfficeOpen(hours, now), nextOpeningAt: nextOpening(hours, now) };
  }

  async save(actor: Actor | null, tenantId: TenantId, input: Partial<InboxSettingsInput>): Promise<EffectiveInboxSettings> {
    const current = await this.get(tenantId);
    const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<InboxSettingsInput>;
    const next: InboxSettingsInput = { ...pick(current), ...given };
    if (next.onDutyPhone) {
      const phone = normalizePhone(next.onDutyPhone);
      if (!phone.ok) throw new ValidationError(`onDutyPhone: ${phone.reason}`, { field: 'onDutyPhone' }, 'INVALID_PHONE_NUMBER');
      next.onDutyPhone = phone.e164;
    }
    for (const field of ['onDutyTemplateName', 'noticeTemplateName'] as const) {
      const name = next[field];
      if (name !== null && !TEMPLATE_NAME_RE.test(name)) throw new ValidationError(`${field} must be an approved template's name`, { field });
    }
    next.emergencyKeyword = next.emergencyKeyword.trim().toUpperCase();
    const tenant = await this.tenants.findById(tenantId);
    const problems = officeHoursProblems(hoursOf(next, tenant?.timezone ?? 'Europe/Rome'));
    if (problems.length > 0) throw new ValidationError(problems.join('; '), { problems }, 'INVALID_OFFICE_HOURS');
    await this.settings.save(tenantId, next);
    await this.audit.record(tenantId, actor, 'inbox.settings_saved', { type: 'tenant', id: tenantId }, { fields: Object.keys(given) });
    return this.get(tenantId);
  }

  /** Configures the inbox like one of the two-way comuni's presets (office hours, keyword, offices). */
  async applyPreset(actor: Actor | null, tenantId: TenantId, key: string): Promise<EffectiveInboxSettings> {
    const inbox = COMUNE_PRESETS[key]?.inbox;
    if (!inbox) {
      const known = Object.values(COMUNE_PRESETS)
        .filter((p) => p.inbox)
        .map((p) => p.key);
      throw new ValidationError(`no inbox preset "${key}"; known: ${known.join(', ')}`, { field: 'preset' }, 'UNKNOWN_PRESET');
    }
    return this.save(actor, tenantId, {
      weeklySchedule: inbox.weeklySchedule,
      closedOnHolidays: inbox.closedOnHolidays,
      patronDay: inbox.patronDay,
      emergencyKeyword: inbox.emergencyKeyword,
      noticeTemplateName: inbox.noticeTemplateName,
      onDutyTemplateName: inbox.noticeTemplateName,
      appointmentOffices: inbox.appointmentOffices,
    });
  }
}

function pick(s: InboxSettingsInput): InboxSettingsInput {
  return {
    timezone: s.timezone,
    weeklySchedule: s.weeklySchedule,
    closedOnHolidays: s.closedOnHolidays,
    patronDay: s.patronDay,
    closedDates: s.closedDates,
    emergencyKeyword: s.emergencyKeyword,
    onDutyPhone: s.onDutyPhone,
    onDutyEmail: s.onDutyEmail,
    onDutyTemplateName: s.onDutyTemplateName,
    noticeTemplateName: s.noticeTemplateName,
    templateLanguage: s.templateLanguage,
    offerCategories: s.offerCategories,
    appointmentOffices: s.appointmentOffices,
    ackText: s.ackText,
    closedText: s.closedText,
    emergencyText: s.emergencyText,
  };
}

function hoursOf(s: InboxSettingsInput, tenantTimezone: string): OfficeHours {
  return {
    timezone: s.timezone ?? tenantTimezone,
    weekly: s.weeklySchedule,
    closedOnHolidays: s.closedOnHolidays,
    patronDay: s.patronDay,
    closedDates: s.closedDates,
  };
}
