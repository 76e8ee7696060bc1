import { Injectable } from '@nestjs/common';
import type { TenantId } from '#common';
import { InboxSettingsEntity } from '../entities/inbox-settings.entity.js';
import { TenantDb } from '../tenant-db.js';

export type InboxSettingsInput = Omit<InboxSettingsEntity, 'tenantId' | 'updatedAt'>;

@Injectable()
export class InboxSettingsRepository {
  constructor(private readonly db: TenantDb) {}

  get(tenantId: TenantId): Promise<InboxSettingsEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(InboxSettingsEntity, { tenantId }));
  }

  save(tenantId: TenantId, s: InboxSettingsInput): Promise<InboxSettingsEntity> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(
        `INSERT INTO inbox_settings AS s (tenant_id, timezone, weekly_schedule, closed_on_holidays, patron_day, closed_dates, emergency_keyword,
            on_duty_phone, on_duty_email, on_duty_template_name, notice_template_name, template_language, offer_categories,
            appointment_offices, ack_text, closed_text, emergency_text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (tenant_id) DO UPDATE SET timezone = EXCLUDED.timezone, weekly_schedule = EXCLUDED.weekly_schedule,
            closed_on_holidays = EXCLUDED.closed_on_holidays, patron_day = EXCLUDED.patron_day, closed_dates = EXCLUDED.closed_dates,
            emergency_keyword = EXCLUDED.emergency_keyword, on_duty_phone = EXCLUDED.on_duty_phone, on_duty_email = EXCLUDED.on_duty_email,
            on_duty_template_name = EXCLUDED.on_duty_template_name, notice_template_name = EXCLUDED.notice_template_name,
            template_language = EXCLUDED.template_language, offer_categories = EXCLUDED.offer_categories,
            appointment_offices = EXCLUDED.appointment_offices, ack_text = EXCLUDED.ack_text, closed_text = EXCLUDED.closed_text,
            emergency_text = EXCLUDED.emergency_text, updated_at = now()`,
        [
          tenantId,
          s.timezone,
          JSON.stringify(s.weeklySchedule),
          s.closedOnHolidays,
          s.patronDay,
          s.closedDates,
          s.emergencyKeyword,
          s.onDutyPhone,
          s.onDutyEmail,
          s.onDutyTemplateName,
          s.noticeTemplateName,
          s.templateLanguage,
          s.offerCategories,
          s.appointmentOffices,
          s.ackText,
          s.closedText,
          s.emergencyText,
        ],
      );
      return m.findOneByOrFail(InboxSettingsEntity, { tenantId });
    });
  }
}
