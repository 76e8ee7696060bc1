import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import {
  APPOINTMENT_STATUSES,
  BLOCK_REASONS,
  CONVERSATION_CATEGORIES,
  CONVERSATION_STATUSES,
  type AppointmentRequestEntity,
  type AppointmentStatus,
  type BlockReason,
  type CannedReplyEntity,
  type CitizenBlockEntity,
  type ContactEntity,
  type ConversationCategory,
  type ConversationEntity,
  type ConversationStatus,
  type NotificationOutcome,
  type ThreadRow,
  type WeeklySchedule,
} from '#database';
import type { ApprovedTemplate, EffectiveInboxSettings, InboxFigures, ReplyOptions } from '#domain';
import { PaginationQueryDto } from '../http/pagination.dto.js';
import { IsOptionalNotNull } from '../http/validation.js';
import { SendTemplateDto } from '../messages/message.dto.js';

const toBool = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

// --- requests ---

export class ConversationQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: CONVERSATION_STATUSES, isArray: true, description: 'One or more, comma-separated (open,pending)' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @IsIn(CONVERSATION_STATUSES, { each: true })
  status?: ConversationStatus[];

  @ApiPropertyOptional({ enum: CONVERSATION_CATEGORIES })
  @IsOptional()
  @IsIn(CONVERSATION_CATEGORIES)
  category?: ConversationCategory;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  assigneeId?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @Transform(toBool)
  @IsBoolean()
  urgent?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  contactId?: string;
}

export class UpdateConversationDto {
  @ApiPropertyOptional({ enum: CONVERSATION_STATUSES, description: 'open ⇄ pending (waiting for the citizen) → closed; closed → open reopens' })
  @IsOptional()
  @IsIn(CONVERSATION_STATUSES)
  status?: ConversationStatus;

  @ApiPropertyOptional({ enum: CONVERSATION_CATEGORIES, nullable: true })
  @IsOptional()
  @IsIn(CONVERSATION_CATEGORIES)
  category?: ConversationCategory | null;

  @ApiPropertyOptional({ nullable: true, description: 'An editor or admin of this comune; null unassigns' })
  @IsOptional()
  @IsUUID()
  assigneeId?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  urgent?: boolean;
}

export class CloseConversationDto {
  @ApiPropertyOptional({ example: 'Grazie, la buca è stata riparata.', description: 'Sent before closing; needs the citizen’s window open' })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  closingMessage?: string;
}

export class ReplyDto {
  @ApiPropertyOptional({ description: 'Free text: only within 24 h of the citizen’s last message (see reply-options)' })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  text?: string;

  @ApiPropertyOptional({ description: 'A canned reply of the comune (same rule as free text)' })
  @IsOptionalNotNull()
  @IsUUID()
  cannedReplyId?: string;

  @ApiPropertyOptional({ type: SendTemplateDto, description: 'An approved template: allowed at any time' })
  @IsOptional()
  @ValidateNested()
  @Type(() => SendTemplateDto)
  template?: SendTemplateDto;
}

export class CreateAppointmentDto {
  @ApiProperty({ example: 'Ufficio tecnico' })
  @IsString()
  @Length(1, 120)
  office!: string;

  @ApiProperty({ example: 'martedì o giovedì mattina' })
  @IsString()
  @Length(1, 500)
  preferredDays!: string;

  @ApiProperty({ example: 'Pratica di passo carrabile' })
  @IsString()
  @Length(1, 2000)
  reason!: string;
}

export class ChangeAppointmentDto {
  @ApiProperty({ enum: APPOINTMENT_STATUSES })
  @IsIn(APPOINTMENT_STATUSES)
  status!: AppointmentStatus;

  @ApiPropertyOptional({ example: 'martedì 12 maggio alle 10:30', description: 'Needed to propose or confirm' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  proposedSlot?: string | null;

  @ApiPropertyOptional({ example: 'Porti un documento di identità.' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string | null;
}

export class AppointmentQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: APPOINTMENT_STATUSES, isArray: true, description: 'One or more, comma-separated' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @IsIn(APPOINTMENT_STATUSES, { each: true })
  status?: AppointmentStatus[];
}

export class CannedReplyDto {
  @ApiProperty({ example: 'Presa in carico' })
  @IsString()
  @Length(1, 80)
  title!: string;

  @ApiProperty({ example: 'Grazie, la segnalazione è stata inoltrata all’ufficio tecnico.' })
  @IsString()
  @Length(1, 4096)
  body!: string;
}

export class UpdateCannedReplyDto {
  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 80)
  title?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 4096)
  body?: string;
}

export class BlockCitizenDto {
  @ApiProperty({ enum: BLOCK_REASONS })
  @IsIn(BLOCK_REASONS)
  reason!: BlockReason;

  @ApiPropertyOptional({ description: 'For the comune’s records; never sent to the citizen' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  note?: string;
}

export class InboxPresetDto {
  @ApiProperty({ example: 'san-romano-in-garfagnana' })
  @IsString()
  @Length(1, 63)
  preset!: string;
}

export class FiguresQueryDto {
  @ApiProperty({ example: '2026-03-01', description: 'First day, the comune’s local date' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'from must be a date YYYY-MM-DD' })
  from!: string;

  @ApiProperty({ example: '2026-03-31', description: 'Last day, included' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'to must be a date YYYY-MM-DD' })
  to!: string;
}

export class InboxSettingsDto {
  @ApiPropertyOptional({ example: 'Europe/Rome', nullable: true, description: 'IANA zone; null: the comune’s timezone' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string | null;

  @ApiPropertyOptional({
    example: { '1': [{ from: '09:00', to: '13:00' }], '2': [{ from: '09:00', to: '17:00' }] },
    description: 'ISO weekday (1 = Monday … 7 = Sunday) → opening intervals, local time; a missing day is closed',
  })
  @IsOptionalNotNull()
  @IsObject()
  weeklySchedule?: WeeklySchedule;

  @ApiPropertyOptional({ description: 'Closed on Italian national holidays (Easter Monday included)' })
  @IsOptionalNotNull()
  @IsBoolean()
  closedOnHolidays?: boolean;

  @ApiPropertyOptional({ example: '07-29', nullable: true, description: 'The patron saint’s day, MM-DD' })
  @IsOptional()
  @Matches(/^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/, { message: 'patronDay must be MM-DD' })
  patronDay?: string | null;

  @ApiPropertyOptional({ example: ['2026-08-14'], description: 'Other closing days' })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(366)
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { each: true, message: 'closedDates must be dates YYYY-MM-DD' })
  closedDates?: string[];

  @ApiPropertyOptional({ example: 'EMERGENZA' })
  @IsOptionalNotNull()
  @IsString()
  @Length(3, 40)
  emergencyKeyword?: string;

  @ApiPropertyOptional({ example: '+39 333 123 4567', nullable: true, description: 'The on-duty contact’s WhatsApp number' })
  @IsOptional()
  @IsString()
  @Length(3, 32)
  onDutyPhone?: string | null;

  @ApiPropertyOptional({ example: 'reperibile@comune.example.it', nullable: true })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  onDutyEmail?: string | null;

  @ApiPropertyOptional({
    example: 'avviso_generico',
    nullable: true,
    description: 'Approved template (one body parameter) for the on-duty alert outside their window',
  })
  @IsOptional()
  @IsString()
  onDutyTemplateName?: string | null;

  @ApiPropertyOptional({
    example: 'avviso_generico',
    nullable: true,
    description: 'Approved template (one body parameter) for notices to citizens outside their window',
  })
  @IsOptional()
  @IsString()
  noticeTemplateName?: string | null;

  @ApiPropertyOptional({ example: 'it' })
  @IsOptionalNotNull()
  @Matches(/^[a-z]{2,3}(_[A-Z]{2})?$/, { message: 'templateLanguage must look like it or en_US' })
  templateLanguage?: string;

  @ApiPropertyOptional({ description: 'Offer the categories as a list when a conversation opens' })
  @IsOptionalNotNull()
  @IsBoolean()
  offerCategories?: boolean;

  @ApiPropertyOptional({ example: ['Anagrafe', 'Ufficio tecnico'], description: 'Offices for appointments; empty: none collected' })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(30)
  @IsString({ each: true })
  @Length(1, 120, { each: true })
  appointmentOffices?: string[];

  @ApiPropertyOptional({ nullable: true, description: 'Acknowledgement inside hours. Placeholders: {comune} {emergenza}' })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  ackText?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'Auto-reply outside hours. Placeholders: {comune} {riapertura} {emergenza}' })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  closedText?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'Answer to an emergency. Placeholders: {comune}' })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  emergencyText?: string | null;
}

// --- responses ---

export class ConversationContactResponse {
  @ApiProperty() id!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) waId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) profileName!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastInboundAt!: string | null;

  static from(c: ContactEntity): ConversationContactResponse {
    return { id: c.id, waId: c.waId, profileName: c.profileName, lastInboundAt: iso(c.lastInboundAt) };
  }
}

export class ConversationResponse {
  @ApiProperty() id!: string;
  @ApiProperty() numberId!: string;
  @ApiProperty() contactId!: string;
  @ApiPropertyOptional({ type: ConversationContactResponse, nullable: true }) contact!: ConversationContactResponse | null;
  @ApiProperty({ enum: CONVERSATION_STATUSES }) status!: ConversationStatus;
  @ApiPropertyOptional({ enum: CONVERSATION_CATEGORIES, nullable: true }) category!: ConversationCategory | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'citizen, editor or keyword' }) categorySource!: string | null;
  @ApiProperty() urgent!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) assigneeId!: string | null;
  @ApiProperty() unreadCount!: number;
  @ApiProperty() openedAt!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) lastInboundAt!: string | null;
  @ApiProperty() lastMessageAt!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) firstResponseAt!: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Seconds from opening to the first editor reply' })
  firstResponseSeconds!: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) closedAt!: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Seconds from opening to closing' }) resolutionSeconds!: number | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'The appointment question asked last (office, days, reason)' })
  intakeStep!: string | null;

  static from(c: ConversationEntity, contact: ContactEntity | null | undefined): ConversationResponse {
    const secs = (a: Date, b: Date | null): number | null => (b ? Math.round((b.getTime() - a.getTime()) / 1000) : null);
    return {
      id: c.id,
      numberId: c.numberId,
      contactId: c.contactId,
      contact: contact ? ConversationContactResponse.from(contact) : null,
      status: c.status,
      category: c.category,
      categorySource: c.categorySource,
      urgent: c.urgent,
      assigneeId: c.assigneeId,
      unreadCount: c.unreadCount,
      openedAt: c.openedAt.toISOString(),
      lastInboundAt: iso(c.lastInboundAt),
      lastMessageAt: c.lastMessageAt.toISOString(),
      firstResponseAt: iso(c.firstResponseAt),
      firstResponseSeconds: secs(c.openedAt, c.firstResponseAt),
      closedAt: iso(c.closedAt),
      resolutionSeconds: secs(c.openedAt, c.closedAt),
      intakeStep: c.intakeStep,
    };
  }
}

export class ConversationPageResponse {
  @ApiProperty({ type: [ConversationResponse] }) items!: ConversationResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class ThreadMediaResponse {
  @ApiProperty({ description: 'pending, stored, failed or purged' }) status!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) mimeType!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) sha256!: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) sizeBytes!: number | null;
  @ApiProperty({ description: 'Where the stored file is served (inbound-messages/{id}/media)' }) url!: string;
}

export class ThreadMessageResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['in', 'out'] }) direction!: 'in' | 'out';
  @ApiProperty() at!: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'The editor who wrote it (out); null: the citizen or the platform' })
  authorUserId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) inboundMessageId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) outboundMessageId!: string | null;
  @ApiProperty({ example: 'text', description: 'text, image, video, audio, document, location, contacts, interactive_reply, template, ...' })
  type!: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Text, caption, or what the citizen tapped' }) text!: string | null;
  @ApiPropertyOptional({ type: Object, nullable: true }) content!: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: Object, nullable: true, description: 'Locations: coordinates and a map link' })
  location!: { latitude: number; longitude: number; name: string | null; address: string | null; mapUrl: string | null } | null;
  @ApiPropertyOptional({ type: ThreadMediaResponse, nullable: true }) media!: ThreadMediaResponse | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'wamid of the message this one answers (a tapped button or list row)' })
  contextMessageId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'The thread message it answers, when it is in this thread' })
  inReplyTo!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Outbound: editor_reply, auto_reply, notification' }) kind!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Outbound delivery status' }) status!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) errorReason!: string | null;

  static fromRows(rows: ThreadRow[], tenantSlug: string): ThreadMessageResponse[] {
    const byWamid = new Map(rows.filter((r) => r.out_provider_message_id).map((r) => [r.out_provider_message_id!, r.id]));
    return rows.map((r) => {
      const content = r.direction === 'in' ? r.in_content : r.out_content;
      const type = r.direction === 'in' ? (r.in_type ?? 'unknown') : String((content as { type?: string } | null)?.type ?? 'unknown');
      const loc = r.in_type === 'location' ? r.in_content : null;
      return {
        id: r.id,
        direction: r.direction,
        at: new Date(r.created_at).toISOString(),
        authorUserId: r.author_user_id,
        inboundMessageId: r.inbound_message_id,
        outboundMessageId: r.outbound_message_id,
        type,
        text: r.direction === 'in' ? (r.in_body ?? tappedTitle(r.in_content)) : outboundText(r.out_content),
        content,
        location: loc
          ? {
              latitude: Number(loc.latitude),
              longitude: Number(loc.longitude),
              name: (loc.name as string | null) ?? null,
              address: (loc.address as string | null) ?? null,
              mapUrl: (loc.mapUrl as string | null) ?? null,
            }
          : null,
        media: r.media_status
          ? {
              status: r.media_status,
              mimeType: r.media_mime_type,
              sha256: r.media_sha256,
              sizeBytes: r.media_size_bytes === null ? null : Number(r.media_size_bytes),
              url: `/api/v1/tenants/${tenantSlug}/inbound-messages/${r.inbound_message_id}/media`,
            }
          : null,
        contextMessageId: r.in_context_message_id,
        inReplyTo: r.in_context_message_id ? (byWamid.get(r.in_context_message_id) ?? null) : null,
        kind: r.out_kind,
        status: r.out_status,
        errorReason: r.out_error_reason,
      };
    });
  }
}

function tappedTitle(content: Record<string, unknown> | null): string | null {
  const c = content as { type?: string; title?: string; text?: string } | null;
  if (c?.type === 'interactive_reply') return c.title ?? null;
  if (c?.type === 'button') return c.text ?? null;
  return null;
}

function outboundText(content: Record<string, unknown> | null): string | null {
  const c = content as { type?: string; body?: unknown; name?: string } | null;
  if (!c) return null;
  if ((c.type === 'text' || c.type === 'interactive') && typeof c.body === 'string') return c.body;
  if (c.type === 'template') return `[template ${c.name ?? ''}]`;
  return null;
}

export class ThreadPageResponse {
  @ApiProperty({ type: [ThreadMessageResponse] }) items!: ThreadMessageResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class ApprovedTemplateResponse {
  @ApiProperty() name!: string;
  @ApiProperty() language!: string;
  @ApiProperty() category!: string;
  @ApiProperty({ type: [String] }) parameters!: string[];

  static from(t: ApprovedTemplate): ApprovedTemplateResponse {
    return { name: t.name, language: t.language, category: t.category, parameters: t.parameters };
  }
}

export class ReplyOptionsResponse {
  @ApiProperty({ description: 'The citizen wrote in the last 24 hours' }) windowOpen!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) windowClosesAt!: string | null;
  @ApiProperty({ description: 'Free text and canned replies can be sent now' }) freeText!: boolean;
  @ApiProperty({ type: [ApprovedTemplateResponse], description: 'Approved templates: they can always be sent' })
  templates!: ApprovedTemplateResponse[];

  static from(o: ReplyOptions): ReplyOptionsResponse {
    return {
      windowOpen: o.windowOpen,
      windowClosesAt: iso(o.windowClosesAt),
      freeText: o.freeText,
      templates: o.templates.map((t) => ApprovedTemplateResponse.from(t)),
    };
  }
}

export class ConversationDetailResponse extends ConversationResponse {
  @ApiProperty({ type: ReplyOptionsResponse }) replyOptions!: ReplyOptionsResponse;
}

export class AppointmentResponse {
  @ApiProperty() id!: string;
  @ApiProperty() conversationId!: string;
  @ApiProperty() contactId!: string;
  @ApiProperty() office!: string;
  @ApiProperty() preferredDays!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ enum: APPOINTMENT_STATUSES }) status!: AppointmentStatus;
  @ApiPropertyOptional({ type: String, nullable: true }) proposedSlot!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) note!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'How the citizen was told of the last change: text, template or not_possible' })
  lastNotification!: NotificationOutcome | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastNotifiedAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static from(a: AppointmentRequestEntity): AppointmentResponse {
    return {
      id: a.id,
      conversationId: a.conversationId,
      contactId: a.contactId,
      office: a.office,
      preferredDays: a.preferredDays,
      reason: a.reason,
      status: a.status,
      proposedSlot: a.proposedSlot,
      note: a.editorNote,
      lastNotification: a.lastNotification,
      lastNotifiedAt: iso(a.lastNotifiedAt),
      createdAt: a.createdAt.toISOString(),
      updatedAt: a.updatedAt.toISOString(),
    };
  }
}

export class AppointmentPageResponse {
  @ApiProperty({ type: [AppointmentResponse] }) items!: AppointmentResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class CannedReplyResponse {
  @ApiProperty() id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() body!: string;
  @ApiProperty() updatedAt!: string;

  static from(c: CannedReplyEntity): CannedReplyResponse {
    return { id: c.id, title: c.title, body: c.body, updatedAt: c.updatedAt.toISOString() };
  }
}

export class CitizenBlockResponse {
  @ApiProperty() contactId!: string;
  @ApiProperty({ enum: BLOCK_REASONS }) reason!: BlockReason;
  @ApiPropertyOptional({ type: String, nullable: true }) note!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) blockedBy!: string | null;
  @ApiProperty() blockedAt!: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'When the citizen was told (once)' }) notifiedAt!: string | null;
  @ApiProperty({ description: 'Messages dropped since the block' }) droppedCount!: number;

  static from(b: CitizenBlockEntity): CitizenBlockResponse {
    return {
      contactId: b.contactId,
      reason: b.reason,
      note: b.note,
      blockedBy: b.blockedBy,
      blockedAt: b.blockedAt.toISOString(),
      notifiedAt: iso(b.notifiedAt),
      droppedCount: b.droppedCount,
    };
  }
}

export class InboxSettingsResponse {
  @ApiProperty({ description: 'False: nothing saved yet, these are the defaults' }) configured!: boolean;
  @ApiProperty() timezone!: string;
  @ApiProperty() weeklySchedule!: WeeklySchedule;
  @ApiProperty() closedOnHolidays!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) patronDay!: string | null;
  @ApiProperty({ type: [String] }) closedDates!: string[];
  @ApiProperty() emergencyKeyword!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) onDutyPhone!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) onDutyEmail!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) onDutyTemplateName!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) noticeTemplateName!: string | null;
  @ApiProperty() templateLanguage!: string;
  @ApiProperty() offerCategories!: boolean;
  @ApiProperty({ type: [String] }) appointmentOffices!: string[];
  @ApiPropertyOptional({ type: String, nullable: true }) ackText!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) closedText!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) emergencyText!: string | null;
  @ApiProperty({ description: 'The office is open now (by the platform clock)' }) openNow!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) nextOpeningAt!: string | null;

  static from(s: EffectiveInboxSettings, status: { openNow: boolean; nextOpeningAt: Date | null }): InboxSettingsResponse {
    return {
      configured: s.configured,
      timezone: s.hours.timezone,
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
      openNow: status.openNow,
      nextOpeningAt: iso(status.nextOpeningAt),
    };
  }
}

export class InboxFiguresResponse {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty() timezone!: string;
  @ApiProperty({
    description:
      'One entry per local day: inbound, inboundByCategory, conversationsOpened, conversationsClosed, firstResponses, medianFirstResponseOfficeMinutes',
  })
  days!: InboxFigures['days'];
  @ApiProperty() totals!: InboxFigures['totals'];

  static from(f: InboxFigures): InboxFiguresResponse {
    return { from: f.from, to: f.to, timezone: f.timezone, days: f.days, totals: f.totals };
  }
}
