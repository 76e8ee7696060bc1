import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AcceptanceRequestRow, PrivacyPolicyVersionEntity } from '#database';
import type { AcceptanceRequestResult, PolicyVersionStatus } from '#domain';

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export class PolicyVersionResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '2027-01' }) version!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) url!: string | null;
  @ApiProperty({ example: '2027-01-15' }) publishedOn!: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: '2027-02-28' }) acceptanceDeadline!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) publishedBy!: string | null;
  @ApiProperty() createdAt!: string;

  static from(v: PrivacyPolicyVersionEntity): PolicyVersionResponse {
    return {
      id: v.id,
      version: v.version,
      url: v.url,
      publishedOn: v.publishedOn,
      acceptanceDeadline: v.acceptanceDeadline,
      publishedBy: v.publishedBy,
      createdAt: v.createdAt.toISOString(),
    };
  }
}

export class PolicySubscribersResponse {
  @ApiProperty({ description: 'Active subscribers of the comune' }) active!: number;
  @ApiProperty({ description: 'Active subscribers whose last accepted version is this one' }) accepted!: number;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Current version: active subscribers who have not accepted it' })
  pending!: number | null;
  @ApiProperty({ description: 'Active subscribers a request for this version reached or is reaching' }) asked!: number;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Current version: pending subscribers never asked' })
  notAsked!: number | null;
  @ApiProperty({ description: 'Current version past its deadline: the pending, whom normal broadcasts skip' }) pausedFromBroadcasts!: number;
}

export class AcceptanceRequestSummaryResponse {
  @ApiProperty() campaignId!: string;
  @ApiProperty({ example: 'completed' }) status!: string;
  @ApiProperty() reminder!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) requestedBy!: string | null;
  @ApiProperty() requestedAt!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) startedAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) completedAt!: string | null;
  @ApiProperty() targeted!: number;
  @ApiProperty() pending!: number;
  @ApiProperty() sent!: number;
  @ApiProperty() delivered!: number;
  @ApiProperty() read!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() skipped!: number;
  @ApiProperty({ description: 'Recipients of this request who have accepted the version by now' }) acceptedSince!: number;

  static from(r: AcceptanceRequestRow): AcceptanceRequestSummaryResponse {
    return {
      campaignId: r.campaignId,
      status: r.status,
      reminder: r.reminder,
      requestedBy: r.createdBy,
      requestedAt: iso(r.createdAt)!,
      startedAt: iso(r.startedAt),
      completedAt: iso(r.completedAt),
      targeted: r.targeted,
      pending: r.pending,
      sent: r.sent,
      delivered: r.delivered,
      read: r.read,
      failed: r.failed,
      skipped: r.skipped,
      acceptedSince: r.acceptedSince,
    };
  }
}

export class PolicyVersionStatusResponse extends PolicyVersionResponse {
  @ApiProperty({ description: 'The version in force' }) current!: boolean;
  @ApiProperty() deadlinePassed!: boolean;
  @ApiProperty({ type: PolicySubscribersResponse }) subscribers!: PolicySubscribersResponse;
  @ApiPropertyOptional({ type: String, nullable: true }) firstAskedAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastAskedAt!: string | null;
  @ApiProperty({ type: [AcceptanceRequestSummaryResponse] }) requests!: AcceptanceRequestSummaryResponse[];

  static fromStatus(s: PolicyVersionStatus): PolicyVersionStatusResponse {
    return {
      ...PolicyVersionResponse.from(s.version),
      current: s.current,
      deadlinePassed: s.deadlinePassed,
      subscribers: { ...s.subscribers },
      firstAskedAt: iso(s.firstAskedAt),
      lastAskedAt: iso(s.lastAskedAt),
      requests: s.requests.map((r) => AcceptanceRequestSummaryResponse.from(r)),
    };
  }
}

export class AcceptanceRequestResponse {
  @ApiProperty({ description: 'The campaign that carries the request: follow it at /campaigns/{id} and /campaigns/{id}/stats' })
  campaignId!: string;
  @ApiProperty({ example: 'scheduled' }) status!: string;
  @ApiProperty() reminder!: boolean;
  @ApiProperty({ description: 'Subscribers the request targets, as estimated when it was made' }) recipients!: number;
  @ApiProperty({ description: 'Of those, inside the 24-hour window (free text with an «Accetto» button)' }) inWindow!: number;
  @ApiProperty({ description: 'Outside it (the approved utility template with its quick-reply button)' }) outsideWindow!: number;

  static from(r: AcceptanceRequestResult): AcceptanceRequestResponse {
    return {
      campaignId: r.campaign.id,
      status: r.campaign.status,
      reminder: r.reminder,
      recipients: r.estimate.audience.total,
      inWindow: r.estimate.audience.inWindow,
      outsideWindow: r.estimate.outsideWindow,
    };
  }
}
