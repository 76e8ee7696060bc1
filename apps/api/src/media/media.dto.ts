import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUrl, IsUUID, Length, MaxLength, ValidateBy, ValidateIf } from 'class-validator';
import type { MediaAssetEntity } from '#database';
import { PaginationQueryDto } from '../http/pagination.dto.js';

/** Exactly one of `link` and `mediaId` on the object holding this property. */
function ExactlyOneSource(): PropertyDecorator {
  return ValidateBy({
    name: 'exactlyOneMediaSource',
    validator: {
      validate: (_value: unknown, args) => {
        const o = args?.object as { link?: unknown; mediaId?: unknown } | undefined;
        return (o?.link !== undefined && o.link !== null) !== (o?.mediaId !== undefined && o.mediaId !== null);
      },
      defaultMessage: () => 'media needs exactly one of link (a public https URL) and mediaId (a file of the media library)',
    },
  });
}

/** An image or document attached to a campaign (or a preview): by public link, or a file of the comune's media library. */
export class AttachedMediaDto {
  @ApiProperty({ enum: ['image', 'document'] })
  @IsIn(['image', 'document'], { message: 'media.kind must be image or document' })
  @ExactlyOneSource()
  kind!: 'image' | 'document';

  @ApiPropertyOptional({ description: "Public HTTPS link to the image or PDF (e.g. the ordinance on the comune's site); or give mediaId" })
  @ValidateIf((o: AttachedMediaDto) => o.link !== undefined)
  @IsUrl({ protocols: ['https'], require_protocol: true }, { message: 'media.link must be an https URL' })
  @MaxLength(2000)
  link?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'A file of the comune’s media library (POST .../media); or give link' })
  @ValidateIf((o: AttachedMediaDto) => o.mediaId !== undefined)
  @IsUUID('all', { message: 'media.mediaId must be the id of a file of the media library' })
  mediaId?: string;

  @ApiPropertyOptional({ description: 'Documents: the name citizens see (a library file keeps its own when left out)' })
  @IsOptional()
  @IsString()
  @Length(1, 240)
  filename?: string;
}

export class MediaQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: ['image', 'document'] })
  @IsOptional()
  @IsIn(['image', 'document'], { message: 'kind must be image or document' })
  kind?: 'image' | 'document';
}

/** A file of the media library as editors see it: what it is, never where it is stored. */
export class MediaAssetResponse {
  @ApiProperty({ format: 'uuid', description: 'Attach it to a campaign as media.mediaId' }) id!: string;
  @ApiProperty({ enum: ['image', 'document'] }) kind!: string;
  @ApiProperty({ example: 'application/pdf', description: 'Sniffed from the file’s content' }) mimeType!: string;
  @ApiProperty({ example: 'Ordinanza n. 12-2026.pdf', description: 'The uploaded name, sanitised; documents reach citizens under it' })
  filename!: string;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty({ description: 'Hex SHA-256 of the stored bytes' }) sha256!: string;
  @ApiProperty({ description: 'Where editors fetch the file (GET)' }) url!: string;
  @ApiProperty({ nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date, description: 'When a campaign last started with it; retention counts from here' })
  lastUsedAt!: Date | null;

  static from(a: MediaAssetEntity, tenantSlug: string): MediaAssetResponse {
    return Object.assign(new MediaAssetResponse(), {
      id: a.id,
      kind: a.kind,
      mimeType: a.mimeType,
      filename: a.filename,
      sizeBytes: Number(a.sizeBytes),
      sha256: a.sha256,
      url: `/api/v1/tenants/${tenantSlug}/media/${a.id}/content`,
      createdBy: a.createdBy,
      createdAt: a.createdAt,
      lastUsedAt: a.lastUsedAt,
    });
  }
}

export class MediaAssetPageResponse {
  @ApiProperty({ type: [MediaAssetResponse] }) items!: MediaAssetResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}
