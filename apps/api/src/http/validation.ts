import { applyDecorators, ValidationPipe, type ArgumentMetadata, type ValidationError as ClassValidatorError } from '@nestjs/common';
import { IsDefined, ValidateIf } from 'class-validator';
import { ValidationError } from '#common';

interface FieldProblem {
  field: string;
  problems: string[];
}

function flatten(errors: ClassValidatorError[], parent = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    // A null where a value is needed is the one problem worth naming: the rest ("must be a string",
    // "must be longer than...") only describe the value that is not there.
    const problems = !e.constraints ? [] : e.value === null ? [`${field} must not be null`] : Object.values(e.constraints);
    const own = problems.length > 0 ? [{ field, problems }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Deeper than any DTO goes: a body nested thousands of levels overflowed class-transformer's stack (a 500). */
const MAX_DEPTH = 32;

/**
 * What no field may hold, checked before any DTO runs: nesting deeper than {@link MAX_DEPTH}, and
 * the NUL character, which PostgreSQL refuses in text and jsonb (a 500 on every route that stores
 * or searches text). Returns the first problem, naming the field.
 */
export function unstorable(value: unknown, path = '', depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? `${path || 'the value'} must not contain the NUL character (\\u0000)` : null;
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_DEPTH) return `the request is nested more than ${MAX_DEPTH} levels deep`;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key.includes('\u0000')) return 'a field name must not contain the NUL character (\\u0000)';
    const problem = unstorable(v, path ? `${path}.${key}` : key, depth + 1);
    if (problem) return problem;
  }
  return null;
}

class AraldoValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const problem = unstorable(value, metadata.type === 'param' ? (metadata.data ?? '') : '');
      if (problem) throw new ValidationError(problem);
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/**
 * Every body and query goes through this pipe: unknown fields are refused (so a `tenantId` in a
 * body can never be smuggled in), values are converted only where a DTO says so, and no value may
 * be nested too deeply or hold a NUL character (see {@link unstorable}).
 */
export function createValidationPipe(): ValidationPipe {
  return new AraldoValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    // The value is kept only to tell a null from a wrong value; it never goes into the response.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const message = details.flatMap((d) => d.problems).join('; ') || 'invalid request';
      return new ValidationError(message, details);
    },
  });
}

/**
 * For a field a PUT or PATCH may leave out but that has no "nothing" value (its column is NOT NULL):
 * left out, what is stored stays; sent as null, the request is refused with "<field> must not be
 * null". IsOptional() also lets null through, and null then reaches the database as a 500. Fields
 * whose column is nullable keep IsOptional(): there null is a value, and clears the field.
 */
export function IsOptionalNotNull(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_object: object, value: unknown) => value !== undefined),
    IsDefined({ message: '$property must not be null' }),
  );
}
