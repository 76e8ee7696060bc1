import { type ErrorAction, type ProviderError } from './provider-error.js';

/**
 * THE table from Meta error codes to what the sender does (reference §5, product rules on top).
 * Errors are classified on `error.code` only, never on HTTP status or titles, and the same table
 * serves synchronous errors (the /messages response) and asynchronous ones (statuses[].errors,
 * value.errors), because Meta reports many codes on either path or both.
 */
export interface ErrorCodeRule {
  /** Either a list of codes or an inclusive range. */
  match: readonly number[] | { readonly from: number; readonly to: number };
  action: ErrorAction;
  meaning: string;
}

export const ERROR_CODE_ACTIONS: readonly ErrorCodeRule[] = [
  // Transient on Meta's side: back off and try again.
  { match: [1], action: 'retry', meaning: 'API unknown error' },
  { match: [2], action: 'retry', meaning: 'API service temporarily unavailable' },
  { match: [131000], action: 'retry', meaning: 'something went wrong' },
  { match: [131016], action: 'retry', meaning: 'service overloaded' },
  { match: [133004], action: 'retry', meaning: 'server temporarily unavailable' },
  { match: [131057], action: 'retry', meaning: 'business account in maintenance mode (e.g. throughput upgrade)' },
  { match: [2494100], action: 'retry', meaning: 'number in maintenance (throughput upgrade, up to a minute)' },

  // Rate limits.
  { match: [130429], action: 'pace_number', meaning: 'Cloud API throughput (messages per second) reached' },
  { match: [4], action: 'pace_number', meaning: 'application API call-rate limit' },
  { match: [80007], action: 'pace_number', meaning: 'WABA API call-rate limit' },
  { match: [131056], action: 'pace_recipient', meaning: 'pair rate limit: too many messages to the same recipient' },

  // The recipient's side.
  { match: [131047], action: 'template', meaning: 'more than 24 h since the user last wrote (re-engagement)' },
  // Meta also returns 131026 for transient client problems: the domain counts repeats across
  // broadcasts before suspending a subscriber (reference §5, unreachable policy).
  { match: [131026], action: 'recipient_permanent', meaning: 'message undeliverable (not on WhatsApp, old client, blocked)' },
  { match: [130403], action: 'recipient_permanent', meaning: 'the business blocked this user' },
  { match: [131050], action: 'marketing_opt_out', meaning: 'user stopped marketing messages from this business' },
  { match: [131049], action: 'hold_recipient', meaning: 'per-user marketing cap ("healthy ecosystem engagement")' },
  { match: [130472], action: 'skip', meaning: 'held back by a Meta marketing-message experiment' },

  // Account, token, number or template problems: no send from this number can succeed until a
  // person acts, so retrying only burns quality and quota.
  { match: [0], action: 'pause_number', meaning: 'authentication exception (token invalid)' },
  { match: [190], action: 'pause_number', meaning: 'access token expired or invalid' },
  { match: [3], action: 'pause_number', meaning: 'API method capability missing' },
  { match: [10], action: 'pause_number', meaning: 'permission denied' },
  { match: { from: 200, to: 299 }, action: 'pause_number', meaning: 'API permission missing' },
  { match: [131005], action: 'pause_number', meaning: 'access denied (permission not granted or revoked)' },
  { match: [131031], action: 'pause_number', meaning: 'business account locked' },
  { match: [368], action: 'pause_number', meaning: 'temporarily blocked for policy violations' },
  { match: [131048], action: 'pause_number', meaning: 'spam rate limit hit (too many blocks or reports)' },
  { match: [130497], action: 'pause_number', meaning: 'business account restricted from messaging this country' },
  { match: [131042], action: 'pause_number', meaning: 'business eligibility payment issue' },
  { match: [131045], action: 'pause_number', meaning: 'phone number not registered (incorrect certificate)' },
  { match: [133010], action: 'pause_number', meaning: 'phone number not registered' },
  { match: [133000], action: 'pause_number', meaning: 'incomplete deregistration' },
  { match: [133006], action: 'pause_number', meaning: 'phone number needs to be verified before registering' },
  { match: [33], action: 'pause_number', meaning: 'phone number id deleted or unknown' },
  { match: [131037], action: 'pause_number', meaning: 'display name not approved' },
  { match: [131063], action: 'pause_number', meaning: 'marketing messages disabled on Cloud API for this WABA' },
  { match: [131064], action: 'pause_number', meaning: 'messaging limited for template misclassification' },
  { match: [131030], action: 'pause_number', meaning: 'recipient not in the allowed list (test number setup)' },
  { match: [132001], action: 'pause_number', meaning: 'template does not exist in that language or is not approved' },
  { match: [132007], action: 'pause_number', meaning: 'template content violates policy' },
  { match: [132015], action: 'pause_number', meaning: 'template paused for low quality' },
  { match: [132016], action: 'pause_number', meaning: 'template permanently disabled' },
  { match: [2388019], action: 'pause_number', meaning: 'template count limit for the WABA reached' },

  // Our request is wrong: retrying the same bytes fails the same way.
  { match: [100], action: 'bug', meaning: 'invalid parameter' },
  { match: [131008], action: 'bug', meaning: 'required parameter missing' },
  { match: [131009], action: 'bug', meaning: 'parameter value invalid' },
  { match: [135000], action: 'bug', meaning: 'generic user error' },
  { match: [131021], action: 'bug', meaning: 'recipient is the sender' },
  { match: [132000], action: 'bug', meaning: 'template parameter count mismatch' },
  { match: [132005], action: 'bug', meaning: 'hydrated template text too long' },
  { match: [132012], action: 'bug', meaning: 'template parameter format mismatch' },
  { match: [132018], action: 'bug', meaning: 'template parameter validation error' },
  { match: [131051], action: 'bug', meaning: 'unsupported message type' },
  { match: [131053], action: 'bug', meaning: 'media upload error (type, MIME or size)' },
];

function ruleMatches(rule: ErrorCodeRule, code: number): boolean {
  return 'from' in rule.match ? code >= rule.match.from && code <= rule.match.to : rule.match.includes(code);
}

/** The rule a code falls under, if any (its meaning is what logs and operator screens show). */
export function findErrorCodeRule(code: number): ErrorCodeRule | undefined {
  return ERROR_CODE_ACTIONS.find((rule) => ruleMatches(rule, code));
}

/**
 * An unknown code is a `bug`, not a `retry`: a code we have never seen may well be permanent, and
 * retrying it (even a bounded number of times) would hide it behind backoff while a broadcast burns
 * quota and quality. Failing loudly gets it looked at and added to the table.
 */
export function classifyErrorCode(code: number): ErrorAction {
  return findErrorCodeRule(code)?.action ?? 'bug';
}

/**
 * What a failed send asks for. `unknown_outcome` is not an ErrorAction on purpose: Meta may have
 * accepted the message, and /messages has no idempotency key, so the caller must reconcile from
 * status webhooks (biz_opaque_callback_data) instead of re-sending.
 */
export type SendFailureAction = ErrorAction | 'unknown_outcome';

export function classifyProviderError(err: ProviderError): SendFailureAction {
  switch (err.kind) {
    case 'connect':
      // The request never left this process: re-sending cannot duplicate.
      return 'retry';
    case 'unknown_outcome':
    case 'invalid_response':
      // A 2xx we cannot read may still be an accepted message.
      return 'unknown_outcome';
    case 'http':
      return isTransientStatus(err.httpStatus) ? 'retry' : 'bug';
    case 'api':
      if (err.code === null) return isTransientStatus(err.httpStatus) ? 'retry' : 'bug';
      // A 5xx with a code we do not know is Meta having trouble, not our payload.
      if (findErrorCodeRule(err.code) === undefined && err.httpStatus !== null && err.httpStatus >= 500) return 'retry';
      return classifyErrorCode(err.code);
    case 'media':
      // A file over the size cap or with a wrong checksum: nothing a retry of the same call fixes
      // reliably, and a silent loop would hide it.
      return 'bug';
  }
}

function isTransientStatus(status: number | null): boolean {
  return status !== null && (status >= 500 || status === 429);
}

/**
 * Attempts of one send, counting the first, when what fails is the message itself (one recipient's
 * pair rate limit, an unknown outcome sent again); afterwards the message fails for good. Transient
 * failures of Meta or of the network get MAX_TRANSIENT_ATTEMPTS instead.
 */
export const MAX_SEND_ATTEMPTS = 5;

const SECOND = 1000;
const RETRY_CAP_MS = 5 * 60 * SECOND;
const HOLD_RECIPIENT_MS = 24 * 60 * 60 * SECOND;
/** Maintenance (throughput upgrade) lasts up to a minute; Meta advises waiting 30–60 s. */
const MAINTENANCE_CODES: ReadonlySet<number> = new Set([131057, 2494100]);
/** Graph call-rate limits are counted per hour, so seconds of backoff would just hit them again. */
const CALL_RATE_CODES: ReadonlySet<number> = new Set([4, 80007]);

/**
 * How long a send may go on failing transiently ('retry': Meta's 5xx and codes 1, 2, 131000,
 * 131016, 133004, a connection that could not be made) before the message fails: an outage of
 * Meta (metastatus.com) or of our network shorter than this delays messages, emergencies among
 * them, rather than failing every recipient due meanwhile with nothing to send them again. Five
 * attempts of the backoff below lasted 15-30 s.
 */
export const TRANSIENT_RETRY_BUDGET_MS = 30 * 60 * SECOND;

/** The shortest wait after failed attempt `n` of a transient failure (the low end of its jitter; see retryDelayMs). */
const shortestRetryWaitMs = (n: number): number => Math.min(RETRY_CAP_MS, 2 ** n * SECOND) / 2;

/**
 * Attempts of a send failing transiently: as many as it takes for the shortest waits between them
 * to add up to TRANSIENT_RETRY_BUDGET_MS (20: 1, 2, 4 ... 128 s, then 150 s each), so the budget
 * holds whatever the jitter (up to twice as long). Counted in attempts because that is what a
 * message records. A message whose own request Meta keeps answering with a 5xx (131000 is also
 * "something went wrong" with this message) so ends after that budget too.
 */
export const MAX_TRANSIENT_ATTEMPTS = ((): number => {
  let waited = 0;
  let attempts = 1;
  while (waited < TRANSIENT_RETRY_BUDGET_MS) waited += shortestRetryWaitMs(attempts++);
  return attempts;
})();

/** The attempts a send gets when it fails with `action`, counting the first (see retryDelayMs for which actions are retried). */
export function maxSendAttempts(action: ErrorAction): number {
  return action === 'retry' ? MAX_TRANSIENT_ATTEMPTS : MAX_SEND_ATTEMPTS;
}

export interface RetryDelayOptions {
  /** The Meta code behind the action, when known: a few codes need longer waits than their action's default. */
  code?: number | null;
  /** [0, 1) source of jitter; injectable for tests. */
  random?: () => number;
}

/**
 * How long to wait before attempt `attempt + 1`, where `attempt` (1-based) is the attempt that just
 * failed; null for actions that are never retried automatically. The attempt bound
 * ({@link maxSendAttempts}) is the caller's: pacing waits are not the message's fault and a caller
 * may choose not to count them.
 */
export function retryDelayMs(action: ErrorAction, attempt: number, options: RetryDelayOptions = {}): number | null {
  const random = options.random ?? Math.random;
  const n = Math.max(1, Math.floor(attempt));
  switch (action) {
    case 'retry': {
      // Equal jitter: half the exponential step fixed, half random, so a burst of failures spreads
      // out. Seconds at first (a blip costs little), growing to 2.5-5 min: during an outage each
      // message asks every few minutes, within MAX_TRANSIENT_ATTEMPTS.
      const shortest = shortestRetryWaitMs(n);
      const delay = shortest + random() * shortest;
      if (options.code != null && MAINTENANCE_CODES.has(options.code)) return Math.round(Math.max(delay, 30 * SECOND + random() * 30 * SECOND));
      return Math.round(delay);
    }
    case 'pace_number':
      if (options.code != null && CALL_RATE_CODES.has(options.code)) return Math.round(60 * SECOND + random() * 4 * 60 * SECOND);
      // Meta: retry in 1–5 s. The low end, once Meta's one-second count has moved past the
      // refused sends: the message goes back through the number's pacer anyway (slowed down when
      // the refusals go on), which spreads retries better than jitter would, and a campaign's last
      // retries are its end (a 5 s tail was 5 % of a 50,000-recipient send at 1,000/s; with
      // 1-2 s, most of what an emergency of 500 took longer mid-run than alone on a busy machine).
      return Math.round(SECOND + random() * 0.2 * SECOND);
    case 'pace_recipient':
      // Meta: retry after 4^X seconds, X = 0, 1, 2, ...
      return Math.min(RETRY_CAP_MS, 4 ** (n - 1) * SECOND);
    case 'hold_recipient':
      return HOLD_RECIPIENT_MS;
    case 'template':
    case 'recipient_permanent':
    case 'marketing_opt_out':
    case 'skip':
    case 'pause_number':
    case 'bug':
      return null;
  }
}
