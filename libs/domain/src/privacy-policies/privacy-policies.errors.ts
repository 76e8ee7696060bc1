import { NotFoundError } from '#common';

/**
 * Codes of the privacy-policy feature, beside the common ones (VALIDATION_FAILED, CONFLICT, ...).
 * VersionExists and RequestInProgress are also raised by the repositories, from the unique indexes
 * that enforce them (the database library cannot import this enum).
 */
export enum PolicyErrorCode {
  VersionNotFound = 'POLICY_VERSION_NOT_FOUND',
  VersionExists = 'POLICY_VERSION_EXISTS',
  NotCurrent = 'POLICY_NOT_CURRENT',
  PublishedInFuture = 'POLICY_PUBLISHED_IN_FUTURE',
  DeadlineTooSoon = 'POLICY_DEADLINE_TOO_SOON',
  VersionRequired = 'POLICY_VERSION_REQUIRED',
  RequestInProgress = 'POLICY_REQUEST_IN_PROGRESS',
  NothingPending = 'POLICY_NOTHING_PENDING',
  AlreadyAsked = 'POLICY_ALREADY_ASKED',
  TemplateNotUtility = 'POLICY_TEMPLATE_NOT_UTILITY',
}

export class PolicyVersionNotFoundError extends NotFoundError {
  constructor() {
    super('Privacy policy version', PolicyErrorCode.VersionNotFound);
  }
}
