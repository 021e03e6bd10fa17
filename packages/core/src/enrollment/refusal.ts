import { AppleProtocolError } from '@ade/apple/errors';

/**
 * A refusal of a device-facing request: an HTTP status and a message a person can act on (shown
 * by the device where Apple's client shows one), never internals. Mapped to HTTP by the handlers.
 */
export class EnrollmentRefusal extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413 | 429,
    readonly code: string,
    message: string,
    /** For a 429: when to try again (the edge sends it as Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'EnrollmentRefusal';
  }

  static from(error: unknown): EnrollmentRefusal {
    if (error instanceof EnrollmentRefusal) return error;
    if (error instanceof AppleProtocolError) {
      const status = error.code === 'BODY_TOO_LARGE' ? 413 : error.code === 'UNSUPPORTED_OS' ? 403 : 400;
      return new EnrollmentRefusal(status, error.code, error.message);
    }
    throw error;
  }
}
