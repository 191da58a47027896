/**
 * Typed faults. Every error the API can answer with is one of these; the HTTP edge
 * (api/faults.ts) is the only place that turns them into Trove's fault bodies.
 */

/** The fault names Trove puts at the top of its error bodies, keyed by HTTP status. */
export type FaultName = 'badRequest' | 'unauthorized' | 'forbidden' | 'itemNotFound' | 'badMethod' | 'conflict' | 'overLimit' | 'badMediaType' | 'unprocessableEntity' | 'instanceFault' | 'notImplemented' | 'serviceUnavailable';

export abstract class TroveFault extends Error {
  abstract readonly status: number;
  abstract readonly faultName: FaultName;
  /** Extra response headers a fault needs (Retry-After, WWW-Authenticate). */
  readonly headers: Record<string, string> = {};
}

export class BadRequest extends TroveFault {
  readonly status = 400;
  readonly faultName = 'badRequest' as const;
}

export class Unauthorized extends TroveFault {
  readonly status = 401;
  readonly faultName = 'unauthorized' as const;
}

export class Forbidden extends TroveFault {
  readonly status = 403;
  readonly faultName = 'forbidden' as const;
}

export class NotFound extends TroveFault {
  readonly status = 404;
  readonly faultName = 'itemNotFound' as const;
}

export class MethodNotAllowed extends TroveFault {
  readonly status = 405;
  readonly faultName = 'badMethod' as const;
}

export class Conflict extends TroveFault {
  readonly status = 409;
  readonly faultName = 'conflict' as const;
}

export class OverLimit extends TroveFault {
  readonly status = 413;
  readonly faultName = 'overLimit' as const;
  constructor(message: string, retryAfterSeconds?: number) {
    super(message);
    if (retryAfterSeconds !== undefined) this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

export class UnsupportedMediaType extends TroveFault {
  readonly status = 415;
  readonly faultName = 'badMediaType' as const;
}

export class UnprocessableEntity extends TroveFault {
  readonly status = 422;
  readonly faultName = 'unprocessableEntity' as const;
}

export class InternalFault extends TroveFault {
  readonly status = 500;
  readonly faultName = 'instanceFault' as const;
}

export class NotImplementedFault extends TroveFault {
  readonly status = 501;
  readonly faultName = 'notImplemented' as const;
}

/** A configuration problem found at start; the message names the offending key. */
export class ConfigError extends Error {}
