import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import {
  KEYWORD_RULE_ACTIONS,
  SUBSCRIBER_FIELDS,
  SUBSCRIBER_STATUSES,
  type ConsentEventEntity,
  type KeywordRuleAction,
  type KeywordRuleEntity,
  type SubscriberEntity,
  type SubscriberField,
  type SubscriberListEntity,
  type SubscriberStatus,
  type SubscriptionSettingsEntity,
} from '#database';
import type { LaunchStatus, SubscriberDetail } from '#domain';
import { PaginationQueryDto } from '../http/pagination.dto.js';
import { IsOptionalNotNull } from '../http/validation.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export class SubscriptionSettingsDto {
  @ApiPropertyOptional({ enum: SUBSCRIBER_FIELDS, isArray: true, description: 'What a citizen must give to subscribe (nothing: anonymous)' })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayUnique()
  @IsIn(SUBSCRIBER_FIELDS, { each: true })
  requiredFields?: SubscriberField[];

  @ApiPropertyOptional({ example: ['Caprignana', 'Villetta'], description: 'The comune’s frazioni, matched tolerant of case and accents' })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @Length(1, 80, { each: true })
  frazioni?: string[];

  @ApiPropertyOptional({ description: 'Sign-up needs an explicit ACCETTO of the privacy policy' })
  @IsOptionalNotNull()
  @IsBoolean()
  policyRequired?: boolean;

  @ApiPropertyOptional({ description: 'Follow the welcome with the comune’s contact card (to save the number with one tap)' })
  @IsOptionalNotNull()
  @IsBoolean()
  contactCard?: boolean;

  @ApiPropertyOptional({ description: 'Placeholders: {comune} {informativa} {iscrizioni} {nome} {parole} {liste}' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 1000)
  welcomeText?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 1000)
  goodbyeText?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 1000)
  helpText?: string;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'One-way comuni: the answer to other messages, at most once a day ({uffici})' })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  autoReplyText?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  askFirstNameText?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: '{frazioni} lists them' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  askFrazioneText?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: 'conferma_iscrizione',
    description: 'Approved utility template with a quick-reply button that asks web-form sign-ups to confirm ({{1}} = the comune)',
  })
  @IsOptional()
  @Matches(/^[a-z0-9_]{1,512}$/, { message: 'confirmTemplateName must be a template name (lower-case letters, digits, underscores)' })
  confirmTemplateName?: string | null;

  @ApiPropertyOptional({ example: 'it' })
  @IsOptionalNotNull()
  @Matches(/^[a-z]{2,3}(_[A-Z]{2})?$/)
  confirmTemplateLanguage?: string;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Active subscribers needed before broadcasts may start' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  launchThreshold?: number | null;

  @ApiPropertyOptional({ description: 'An admin lets broadcasts start before the threshold' })
  @IsOptionalNotNull()
  @IsBoolean()
  launchOverride?: boolean;
}

export class ApplyPresetDto {
  @ApiProperty({ example: 'san-romano-in-garfagnana' })
  @Matches(/^[a-z0-9-]{1,63}$/)
  preset!: string;
}

export class SubscriptionSettingsResponse {
  @ApiProperty({ description: 'false: nothing saved yet, these are the defaults' }) configured!: boolean;
  @ApiProperty({ enum: SUBSCRIBER_FIELDS, isArray: true }) requiredFields!: SubscriberField[];
  @ApiProperty({ type: [String] }) frazioni!: string[];
  @ApiProperty() policyRequired!: boolean;
  @ApiProperty() contactCard!: boolean;
  @ApiProperty() welcomeText!: string;
  @ApiProperty() goodbyeText!: string;
  @ApiProperty() helpText!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) autoReplyText!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) askFirstNameText!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) askFrazioneText!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) confirmTemplateName!: string | null;
  @ApiProperty() confirmTemplateLanguage!: string;
  @ApiPropertyOptional({ type: Number, nullable: true }) launchThreshold!: number | null;
  @ApiProperty() launchOverride!: boolean;

  static from(s: SubscriptionSettingsEntity & { configured?: boolean }): SubscriptionSettingsResponse {
    return {
      configured: s.configured ?? true,
      requiredFields: s.requiredFields,
      frazioni: s.frazioni,
      policyRequired: s.policyRequired,
      contactCard: s.contactCard,
      welcomeText: s.welcomeText,
      goodbyeText: s.goodbyeText,
      helpText: s.helpText,
      autoReplyText: s.autoReplyText,
      askFirstNameText: s.askFirstNameText,
      askFrazioneText: s.askFrazioneText,
      confirmTemplateName: s.confirmTemplateName,
      confirmTemplateLanguage: s.confirmTemplateLanguage,
      launchThreshold: s.launchThreshold,
      launchOverride: s.launchOverride,
    };
  }
}

export class CreateListDto {
  @ApiProperty({ example: 'emergenze' })
  @Matches(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: 'slug must be lower-case letters and digits separated by single dashes' })
  @MaxLength(63)
  slug!: string;

  @ApiProperty({ example: '#EMERGENZE', description: 'What citizens type after the keyword' })
  @Matches(/^#?[\p{L}\p{N}_'’-]{1,60}$/u, { message: 'hashtag must be one word of letters and digits, with or without #' })
  hashtag!: string;

  @ApiProperty({ example: 'Emergenze e protezione civile' })
  @IsString()
  @Length(1, 120)
  name!: string;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  description?: string | null;

  @ApiPropertyOptional({ description: 'Keyword sign-ups without a hashtag join the default lists' })
  @IsOptionalNotNull()
  @IsBoolean()
  isDefault?: boolean;
}

// Without skipNullProperties: false, PartialType marks every field IsOptional, which lets null through
// to NOT NULL columns (slug, hashtag, name): a 500. This way null is refused, except for description.
export class UpdateListDto extends PartialType(CreateListDto, { skipNullProperties: false }) {}

export class ListResponse {
  @ApiProperty() id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() hashtag!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) description!: string | null;
  @ApiProperty() isDefault!: boolean;

  static from(l: SubscriberListEntity): ListResponse {
    return { id: l.id, slug: l.slug, hashtag: l.hashtag, name: l.name, description: l.description, isDefault: l.isDefault };
  }
}

export class CreateKeywordRuleDto {
  @ApiProperty({ enum: KEYWORD_RULE_ACTIONS })
  @IsIn(KEYWORD_RULE_ACTIONS)
  action!: KeywordRuleAction;

  @ApiProperty({ example: ['ISCRIZIONE ON'], description: 'Matched ignoring case, accents, punctuation and extra spaces' })
  @IsArray()
  @ArrayMinSize(1, { message: 'phrases must name at least one phrase' })
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  phrases!: string[];

  @ApiPropertyOptional({ type: [String], description: 'Lists a sign-up joins, or an opt-out leaves (all when empty), when the citizen names none' })
  @IsOptional()
  @IsArray()
  @IsUUID('all', { each: true })
  listIds?: string[];

  @ApiPropertyOptional({ nullable: true, type: String, description: 'Overrides the comune’s welcome / goodbye / help text for this rule' })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  replyText?: string | null;
}

export class UpdateKeywordRuleDto extends PartialType(CreateKeywordRuleDto) {}

export class KeywordRuleResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: KEYWORD_RULE_ACTIONS }) action!: KeywordRuleAction;
  @ApiProperty({ type: [String] }) phrases!: string[];
  @ApiProperty({ type: [String] }) listIds!: string[];
  @ApiPropertyOptional({ type: String, nullable: true }) replyText!: string | null;

  static from(r: KeywordRuleEntity): KeywordRuleResponse {
    return { id: r.id, action: r.action, phrases: r.phrases, listIds: r.listIds, replyText: r.replyText };
  }
}

export class SubscriberQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: SUBSCRIBER_STATUSES })
  @IsOptional()
  @IsIn(SUBSCRIBER_STATUSES)
  status?: SubscriberStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  listId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 80)
  frazione?: string;

  @ApiPropertyOptional({ example: 'famiglia_scuola' })
  @IsOptional()
  @IsString()
  @Length(1, 50)
  tag?: string;

  @ApiPropertyOptional({ description: 'Name, surname or part of the phone number' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(2, 80)
  q?: string;
}

export class EditSubscriberDto {
  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  firstName?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  lastName?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'One of the comune’s frazioni' })
  @IsOptional()
  @IsString()
  @Length(1, 80)
  frazione?: string | null;

  @ApiPropertyOptional({ type: [String], example: ['famiglia_scuola'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(30)
  @Matches(/^[a-z0-9_]{1,50}$/i, { each: true, message: 'each tag must be letters, digits and underscores' })
  tags?: string[];
}

export class SubscriberResponse {
  @ApiProperty() id!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) phone!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) firstName!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastName!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) frazione!: string | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ enum: SUBSCRIBER_STATUSES }) status!: SubscriberStatus;
  @ApiProperty() source!: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'The sign-up is waiting for this answer from the citizen' })
  awaitingField!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) policyVersionAccepted!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastInboundAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) activatedAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) unsubscribedAt!: string | null;
  @ApiProperty() createdAt!: string;

  static from(s: SubscriberEntity): SubscriberResponse {
    return {
      id: s.id,
      phone: s.phoneE164,
      firstName: s.firstName,
      lastName: s.lastName,
      frazione: s.frazione,
      tags: s.tags,
      status: s.status,
      source: s.source,
      awaitingField: s.awaitingField,
      policyVersionAccepted: s.policyVersionAccepted,
      lastInboundAt: iso(s.lastInboundAt),
      activatedAt: iso(s.activatedAt),
      unsubscribedAt: iso(s.unsubscribedAt),
      createdAt: s.createdAt.toISOString(),
    };
  }
}

export class SubscriptionResponse {
  @ApiProperty() listId!: string;
  @ApiProperty({ enum: ['active', 'unsubscribed'] }) status!: string;
  @ApiProperty() subscribedAt!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) unsubscribedAt!: string | null;
}

export class SubscriberDetailResponse extends SubscriberResponse {
  @ApiProperty({ type: [SubscriptionResponse] }) subscriptions!: SubscriptionResponse[];

  static fromDetail(d: SubscriberDetail): SubscriberDetailResponse {
    return {
      ...SubscriberResponse.from(d.subscriber),
      subscriptions: d.subscriptions.map((s) => ({
        listId: s.listId,
        status: s.status,
        subscribedAt: s.subscribedAt.toISOString(),
        unsubscribedAt: iso(s.unsubscribedAt),
      })),
    };
  }
}

export class SubscriberPageResponse {
  @ApiProperty({ type: [SubscriberResponse] }) items!: SubscriberResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class ConsentEventResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'opt_in' }) type!: string;
  @ApiProperty({ type: [String] }) listIds!: string[];
  @ApiPropertyOptional({ type: String, nullable: true }) policyVersion!: string | null;
  @ApiProperty({ example: 'keyword' }) channel!: string;
  @ApiProperty({ type: Object }) evidence!: Record<string, unknown>;
  @ApiProperty() occurredAt!: string;

  static from(e: ConsentEventEntity): ConsentEventResponse {
    return {
      id: e.id,
      type: e.type,
      listIds: e.listIds,
      policyVersion: e.policyVersion,
      channel: e.channel,
      evidence: e.evidence,
      occurredAt: e.occurredAt.toISOString(),
    };
  }
}

export class SubscriberExportResponse extends SubscriberDetailResponse {
  @ApiProperty({ type: [ConsentEventResponse] }) consent!: ConsentEventResponse[];
}

export class LaunchStatusResponse implements LaunchStatus {
  @ApiPropertyOptional({ type: Number, nullable: true }) threshold!: number | null;
  @ApiProperty() active!: number;
  @ApiProperty() reached!: boolean;
  @ApiProperty() overridden!: boolean;
  @ApiProperty() broadcastsAllowed!: boolean;
}

export class SubscriberCountsResponse {
  @ApiProperty({ type: Object, example: { active: 120, pending: 3, unsubscribed: 7 } }) byStatus!: Record<string, number>;
  @ApiProperty({ type: [Object], example: [{ listId: '…', active: 80 }] }) byList!: { listId: string; active: number }[];
  @ApiProperty({ type: [Object], example: [{ frazione: 'Villetta', active: 12 }] }) byFrazione!: { frazione: string | null; active: number }[];
  @ApiProperty({ type: LaunchStatusResponse }) launch!: LaunchStatusResponse;
}
