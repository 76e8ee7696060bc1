import { AppError, ConflictError, NotFoundError, PayloadTooLargeError, ValidationError } from '#common';

/** Codes of the media library, beside the common ones. */
export enum MediaLibraryErrorCode {
  NotFound = 'MEDIA_NOT_FOUND',
  Empty = 'MEDIA_EMPTY',
  TypeNotAllowed = 'MEDIA_TYPE_NOT_ALLOWED',
  TooLarge = 'MEDIA_TOO_LARGE',
  KindMismatch = 'MEDIA_KIND_MISMATCH',
  InUse = 'MEDIA_IN_USE',
  /** WhatsApp refused the file itself (131053 and the like): the file must be fixed, not retried. */
  RejectedByWhatsapp = 'MEDIA_REJECTED_BY_WHATSAPP',
  /** Another process is uploading the same file for the same number right now: try again shortly. */
  UploadInProgress = 'MEDIA_UPLOAD_IN_PROGRESS',
  /** WhatsApp could not be reached or answered with a passing error: try again shortly. */
  UploadFailed = 'MEDIA_UPLOAD_FAILED',
}

export class MediaAssetNotFoundError extends NotFoundError {
  constructor() {
    super('Media', MediaLibraryErrorCode.NotFound);
  }
}

export class MediaTypeNotAllowedError extends ValidationError {
  constructor(message: string, code: MediaLibraryErrorCode = MediaLibraryErrorCode.TypeNotAllowed) {
    super(message, undefined, code);
  }
}

export class MediaTooLargeError extends PayloadTooLargeError {
  constructor(message: string, maxBytes: number) {
    super(message, { maxBytes }, MediaLibraryErrorCode.TooLarge);
  }
}

export class MediaInUseError extends ConflictError {
  constructor(message: string, details: unknown) {
    super(message, MediaLibraryErrorCode.InUse, details);
  }
}

/** The provider refused the library file on upload: no send of it can succeed until it is replaced. */
export class MediaRejectedByWhatsappError extends AppError {
  constructor(
    message: string,
    readonly providerCode: number | null,
  ) {
    super(MediaLibraryErrorCode.RejectedByWhatsapp, 'validation', message, { details: { providerCode } });
  }
}

export class MediaUploadInProgressError extends AppError {
  constructor() {
    super(MediaLibraryErrorCode.UploadInProgress, 'unavailable', 'the file is being uploaded to WhatsApp for this number by another process');
  }
}

export class MediaUploadFailedError extends AppError {
  constructor(reason: string) {
    super(MediaLibraryErrorCode.UploadFailed, 'unavailable', `the file could not be uploaded to WhatsApp just now (${reason}): try again shortly`);
  }
}
