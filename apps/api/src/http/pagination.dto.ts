import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import type { Page } from '#database';

/** Past any comune's list (a bigint out of range in SQL was a 500). */
const MAX_OFFSET = 1_000_000;

export class PaginationQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number between 1 and 100' })
  @Min(1, { message: 'limit must be a whole number between 1 and 100' })
  @Max(100, { message: 'limit must be a whole number between 1 and 100' })
  limit: number = 20;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_OFFSET, default: 0 })
  @Type(() => Number)
  @IsInt({ message: 'offset must be a whole number from 0 to 1,000,000' })
  @Min(0, { message: 'offset must be a whole number from 0 to 1,000,000' })
  @Max(MAX_OFFSET, { message: 'offset must be a whole number from 0 to 1,000,000' })
  offset: number = 0;
}

export interface PageResponse<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export function mapPage<E, R>(page: Page<E>, map: (e: E) => R): PageResponse<R> {
  return { items: page.items.map(map), total: page.total, limit: page.limit, offset: page.offset };
}
