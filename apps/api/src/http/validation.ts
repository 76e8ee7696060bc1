import { applyDecorators, ValidationPipe, type ValidationError as ClassValidatorError } from '@nestjs/common';
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

/**
 * Every body and query goes through this pipe: unknown fields are refused (so a `tenantId` in a
 * body can never be smuggled in), values are converted only where a DTO says so.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
