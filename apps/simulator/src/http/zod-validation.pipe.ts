import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { ValidationError } from '#common';

/** Validates a control-API body or query against a zod schema; problems become one 400 naming each field. */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const details = result.error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', problem: issue.message }));
    throw new ValidationError(details.map((d) => `${d.field}: ${d.problem}`).join('; '), details);
  }
}
