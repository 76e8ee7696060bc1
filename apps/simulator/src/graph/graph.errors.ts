import { randomBytes } from 'node:crypto';

/** Meta's error body, for synchronous errors of the Graph API. */
export interface GraphErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
}

interface GraphApiErrorInit {
  httpStatus: number;
  code: number;
  message: string;
  type?: 'OAuthException' | 'GraphMethodException';
  subcode?: number;
  /** Set for WhatsApp errors, which carry error_data.details; plain Graph errors have none. */
  details?: string;
}

/** A synchronous Graph API error, rendered exactly as Meta renders it (see SimulatorExceptionFilter). */
export class GraphApiError extends Error {
  readonly httpStatus: number;
  readonly code: number;
  readonly type: string;
  readonly subcode?: number;
  readonly details?: string;

  constructor(init: GraphApiErrorInit) {
    super(init.message);
    this.name = 'GraphApiError';
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    this.type = init.type ?? 'OAuthException';
    this.subcode = init.subcode;
    this.details = init.details;
  }

  toBody(): GraphErrorBody {
    return {
      error: {
        message: this.message,
        type: this.type,
        code: this.code,
        ...(this.subcode !== undefined ? { error_subcode: this.subcode } : {}),
        ...(this.details !== undefined ? { error_data: { messaging_product: 'whatsapp' as const, details: this.details } } : {}),
        fbtrace_id: newFbTraceId(),
      },
    };
  }
}

/** Meta's trace ids look like `Az8or2yhqkZfEZ-_4Qn_Bam`: 23 url-safe characters starting with A. */
export function newFbTraceId(): string {
  return `A${randomBytes(17).toString('base64url').slice(0, 22)}`;
}

const whatsappError = (httpStatus: number, code: number, title: string, details: string): GraphApiError =>
  new GraphApiError({ httpStatus, code, message: `(#${code}) ${title}`, details });

function graphDate(date: Date): string {
  // Meta prints e.g. "Tuesday, 10-Mar-26 09:00:00 PDT"; UTC keeps it deterministic here.
  const weekday = date.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
  const [day, month, year] = [date.getUTCDate(), date.toLocaleDateString('en-US', { month: 'short', timeZone: 'UTC' }), date.getUTCFullYear() % 100];
  const time = date.toISOString().slice(11, 19);
  return `${weekday}, ${String(day).padStart(2, '0')}-${month}-${String(year).padStart(2, '0')} ${time} UTC`;
}

/** The synchronous errors the simulator answers with, worded as Meta words them. */
export const GraphErrors = {
  invalidToken: (): GraphApiError =>
    new GraphApiError({ httpStatus: 401, code: 190, message: 'Invalid OAuth access token - Cannot parse access token' }),

  expiredToken: (now = new Date()): GraphApiError =>
    new GraphApiError({
      httpStatus: 401,
      code: 190,
      subcode: 463,
      message: `Error validating access token: Session has expired on ${graphDate(new Date(now.getTime() - 3_600_000))}. The current time is ${graphDate(now)}.`,
    }),

  unknownObject: (method: 'get' | 'post' | 'delete', id: string): GraphApiError =>
    new GraphApiError({
      httpStatus: 400,
      code: 100,
      subcode: 33,
      type: 'GraphMethodException',
      message:
        `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, ` +
        'or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api',
    }),

  unknownPath: (path: string): GraphApiError => new GraphApiError({ httpStatus: 400, code: 2500, message: `Unknown path components: ${path}` }),

  unknownError: (): GraphApiError => new GraphApiError({ httpStatus: 500, code: 1, message: 'An unknown error has occurred.' }),

  /** Missing, malformed or out-of-range parameters (the most common 100). */
  invalidParameter: (details: string): GraphApiError => whatsappError(400, 100, details, details),

  parameterValueNotValid: (details: string): GraphApiError => whatsappError(400, 131009, 'Parameter value is not valid', details),

  throughput: (): GraphApiError => whatsappError(400, 130429, 'Rate limit hit', 'Cloud API message throughput has been reached.'),

  pairRate: (): GraphApiError =>
    whatsappError(
      400,
      131056,
      '(Business Account, Consumer Account) pair rate limit hit',
      'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
    ),

  templateMissing: (name: string, language: string): GraphApiError =>
    whatsappError(404, 132001, 'Template name does not exist in the translation', `template name (${name}) does not exist in ${language}`),

  templateParamCount: (component: string, got: number, expected: number): GraphApiError =>
    whatsappError(
      400,
      132000,
      'Number of parameters does not match the expected number of params',
      `${component}: number of localizable_params (${got}) does not match the expected number of params (${expected})`,
    ),

  templateParamFormat: (component: string, expected: string, got: string): GraphApiError =>
    whatsappError(
      400,
      132012,
      'Parameter format does not match format in the created template',
      `${component}: Format mismatch, expected ${expected}, received ${got}`,
    ),

  mediaUpload: (details: string): GraphApiError => whatsappError(400, 131053, 'Media upload error', details),

  serverError: (): GraphApiError => whatsappError(500, 131000, 'Something went wrong', 'Something went wrong'),

  serviceUnavailable: (): GraphApiError => whatsappError(503, 131016, 'Service unavailable', 'A service is temporarily unavailable.'),
};
