import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  CAMPAIGN_PRIORITIES,
  CAMPAIGN_STATUSES,
  type CampaignEntity,
  type CampaignMedia,
  type CampaignScheduleEntity,
  type CampaignSettingsEntity,
  type CampaignStatus,
} from '#database';
import type { CampaignEstimate, CampaignStats } from '#domain';
import { PaginationQueryDto } from '../http/pagination.dto.js';
import { IsOptionalNotNull } from '../http/validation.js';
import { AttachedMediaDto } from '../media/media.dto.js';

/** A campaign's attachment as stored: a public link or a media library file (GET .../media/{mediaId} describes it). */
export class CampaignMediaResponse {
  @ApiProperty({ enum: ['image', 'document'] }) kind!: string;
  @ApiPropertyOptional({ type: String }) link?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) mediaId?: string;
  @ApiPropertyOptional({ type: String }) filename?: string;

  static from(m: CampaignMedia): CampaignMediaResponse {
    return Object.assign(new CampaignMediaResponse(), {
      kind: m.kind,
      ...(m.link !== undefined ? { link: m.link } : {}),
      ...(m.mediaId !== undefined ? { mediaId: m.mediaId } : {}),
      ...(m.filename !== undefined ? { filename: m.filename } : {}),
    });
  }
}

export class CampaignAudienceDto {
  @ApiPropertyOptional({ type: [String], description: 'Union of these lists; all active subscribers when empty' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true, message: 'each list id must be a UUID' })
  listIds?: string[];

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  frazioni?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Subscribers with any of these tags' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  tags?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601({}, { message: 'subscribedAfter must be an ISO date' })
  subscribedAfter?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601({}, { message: 'subscribedBefore must be an ISO date' })
  subscribedBefore?: string;
}

export class CreateCampaignDto {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  // Stored trimmed: blanks alone would be an empty title.
  @Matches(/\S/, { message: 'title must not be blank' })
  title!: string;

  @ApiPropertyOptional({ description: 'A message template of the comune (variables, linked approved WhatsApp template)' })
  @IsOptional()
  @IsUUID('all', { message: 'messageTemplateId must be a UUID' })
  messageTemplateId?: string | null;

  @ApiPropertyOptional({ description: 'Free text instead of a template: reaches only citizens inside their 24-hour window' })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  body?: string | null;

  @ApiPropertyOptional({ description: 'Values of the free variables, e.g. {"data": "24 novembre"}' })
  @IsOptional()
  @IsObject()
  variables?: Record<string, string>;

  @ApiPropertyOptional({
    type: AttachedMediaDto,
    nullable: true,
    description:
      'An image or document: a public https link, or a file of the media library (uploaded to WhatsApp once per number when sending starts)',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => AttachedMediaDto)
  media?: AttachedMediaDto | null;

  @ApiPropertyOptional({ type: CampaignAudienceDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignAudienceDto)
  audience?: CampaignAudienceDto;

  @ApiPropertyOptional({ enum: CAMPAIGN_PRIORITIES })
  @IsOptional()
  @IsIn(CAMPAIGN_PRIORITIES, { message: 'priority must be normal or emergency' })
  priority?: 'normal' | 'emergency';

  @ApiPropertyOptional({ description: "The comune's number to send from; its first active number when left out" })
  @IsOptional()
  @IsUUID('all', { message: 'numberId must be a UUID' })
  numberId?: string;

  @ApiPropertyOptional({
    enum: ['refuse', 'split'],
    description: "Over the portfolio's 24-hour capacity: refuse, or send what fits and the rest a day later",
  })
  @IsOptional()
  @IsIn(['refuse', 'split'])
  capacityMode?: 'refuse' | 'split';
}

export class UpdateCampaignDto extends PartialType(CreateCampaignDto) {}

export class ScheduleCampaignDto {
  @ApiProperty({ description: "ISO time; without an offset it is the comune's local time, e.g. 2026-11-24T10:00" })
  @IsString()
  @Matches(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, { message: 'scheduledAt must be an ISO date and time such as 2026-11-24T10:00' })
  scheduledAt!: string;
}

export class TestSendDto {
  @ApiProperty({ description: "The editor's own phone number" })
  @IsString()
  @Length(5, 32)
  to!: string;
}

export class RejectCampaignDto {
  @ApiProperty()
  @IsString()
  @Length(1, 500)
  reason!: string;
}

export class CampaignQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: CAMPAIGN_STATUSES })
  @IsOptional()
  @IsIn(CAMPAIGN_STATUSES)
  status?: CampaignStatus;
}

export class CampaignSettingsDto {
  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsBoolean()
  requiresApproval?: boolean;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsBoolean()
  emergencyRequiresApproval?: boolean;

  @ApiPropertyOptional({ nullable: true, description: 'At most this many normal campaigns per subscriber in 7 days' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  frequencyCapPerWeek?: number | null;

  @ApiPropertyOptional({ nullable: true, example: '21:00' })
  @IsOptional()
  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'quietHoursStart must be HH:MM' })
  quietHoursStart?: string | null;

  @ApiPropertyOptional({ nullable: true, example: '08:00' })
  @IsOptional()
  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'quietHoursEnd must be HH:MM' })
  quietHoursEnd?: string | null;
}

export class CreateScheduleDto {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ example: '0 10 * * 2,5', description: "Five-field cron in the comune's timezone" })
  @IsString()
  @Length(9, 100)
  cron!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  active?: boolean;

  @ApiProperty({ type: CreateCampaignDto })
  @ValidateNested()
  @Type(() => CreateCampaignDto)
  campaign!: CreateCampaignDto;
}

export class UpdateScheduleDto extends PartialType(CreateScheduleDto) {}

export class CampaignResponse {
  @ApiProperty() id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ enum: CAMPAIGN_STATUSES }) status!: string;
  @ApiProperty() priority!: string;
  @ApiProperty() numberId!: string;
  @ApiProperty({ nullable: true, type: String }) messageTemplateId!: string | null;
  @ApiProperty({ nullable: true, type: String }) body!: string | null;
  @ApiProperty() variables!: Record<string, string>;
  @ApiProperty({ nullable: true, type: CampaignMediaResponse }) media!: CampaignMediaResponse | null;
  @ApiProperty({ type: CampaignAudienceDto }) audience!: CampaignAudienceDto;
  @ApiProperty({ nullable: true, type: String, description: 'Category out-of-window messages go as (utility | marketing)' })
  category!: string | null;
  @ApiProperty() capacityMode!: string;
  @ApiProperty({ nullable: true, type: Date }) scheduledAt!: Date | null;
  @ApiProperty({ nullable: true, type: String }) scheduleId!: string | null;
  @ApiProperty({ nullable: true, type: String }) alertId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Set when the campaign asks subscribers to accept this privacy policy version' })
  policyVersionId!: string | null;
  @ApiProperty({ description: 'A request to accept the privacy policy that also asks those an earlier request reached' })
  policyReminder!: boolean;
  @ApiProperty({ description: 'Recipients in the snapshot so far (it goes in chunks: final once audienceResolvedAt is set)' })
  targeted!: number;
  @ApiProperty({ nullable: true, type: Date, description: 'When the whole audience had been resolved into messages' })
  audienceResolvedAt!: Date | null;
  @ApiProperty() skipped!: number;
  @ApiProperty() deferred!: number;
  @ApiProperty({ nullable: true, type: String }) failureReason!: string | null;
  @ApiProperty({ nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty({ nullable: true, type: String }) approvedBy!: string | null;
  @ApiProperty({ nullable: true, type: Date }) startedAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) completedAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) cancelledAt!: Date | null;
  @ApiProperty() createdAt!: Date;

  static from(c: CampaignEntity): CampaignResponse {
    // The policy request's audience is not something an editor sets: shown as its own fields.
    const { policyPending, ...audience } = c.audience;
    return Object.assign(new CampaignResponse(), {
      id: c.id,
      title: c.title,
      status: c.status,
      priority: c.priority,
      numberId: c.numberId,
      messageTemplateId: c.messageTemplateId,
      body: c.body,
      variables: c.variables,
      media: c.media ? CampaignMediaResponse.from(c.media) : null,
      audience,
      category: c.category,
      capacityMode: c.capacityMode,
      scheduledAt: c.scheduledAt,
      scheduleId: c.scheduleId,
      alertId: c.alertId,
      policyVersionId: c.policyVersionId,
      policyReminder: policyPending?.includeAsked ?? false,
      targeted: c.targeted,
      audienceResolvedAt: c.snapshotDoneAt,
      skipped: c.skipped,
      deferred: c.deferred,
      failureReason: c.failureReason,
      createdBy: c.createdBy,
      approvedBy: c.approvedBy,
      startedAt: c.startedAt,
      completedAt: c.completedAt,
      cancelledAt: c.cancelledAt,
      createdAt: c.createdAt,
    });
  }
}

/** The estimate as the editor sees it before sending (plain data, no entity). */
export type CampaignEstimateResponse = CampaignEstimate;
export type CampaignStatsResponse = CampaignStats;

export class CampaignSettingsResponse {
  @ApiProperty() requiresApproval!: boolean;
  @ApiProperty() emergencyRequiresApproval!: boolean;
  @ApiProperty({ nullable: true, type: Number }) frequencyCapPerWeek!: number | null;
  @ApiProperty({ nullable: true, type: String }) quietHoursStart!: string | null;
  @ApiProperty({ nullable: true, type: String }) quietHoursEnd!: string | null;

  static from(s: CampaignSettingsEntity): CampaignSettingsResponse {
    return Object.assign(new CampaignSettingsResponse(), {
      requiresApproval: s.requiresApproval,
      emergencyRequiresApproval: s.emergencyRequiresApproval,
      frequencyCapPerWeek: s.frequencyCapPerWeek,
      quietHoursStart: s.quietHoursStart,
      quietHoursEnd: s.quietHoursEnd,
    });
  }
}

export class ScheduleResponse {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() cron!: string;
  @ApiProperty() active!: boolean;
  @ApiProperty() campaign!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: Date }) nextRunAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) lastRunAt!: Date | null;
  @ApiProperty({ nullable: true, type: String }) lastCampaignId!: string | null;
  @ApiProperty({ nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      "Who last set the campaign's content: each run is sent as this user, so it waits for an admin's approval when theirs would (null: not recorded, treated as an editor's)",
  })
  contentUpdatedBy!: string | null;

  static from(s: CampaignScheduleEntity): ScheduleResponse {
    return Object.assign(new ScheduleResponse(), {
      id: s.id,
      name: s.name,
      cron: s.cron,
      active: s.active,
      campaign: s.campaign,
      nextRunAt: s.nextRunAt,
      lastRunAt: s.lastRunAt,
      lastCampaignId: s.lastCampaignId,
      createdBy: s.createdBy,
      contentUpdatedBy: s.contentUpdatedBy,
    });
  }
}
