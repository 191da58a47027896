import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { TroveFault, type FaultName } from '../common/errors.js';
import { drainOversizedBody } from './body-drain.js';

/** The one place typed errors become Trove's fault bodies: {"badRequest": {"code": 400, "message": …}}. */
const NAME_BY_STATUS: Record<number, FaultName> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflict',
  413: 'overLimit',
  415: 'badMediaType',
  422: 'unprocessableEntity',
  500: 'instanceFault',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

/**
 * Longer runs without a space are cut: a message quotes what it refuses, and that may be 100 KB
 * sent to be echoed. Long enough for any path of this API (a nested user's database is about 120).
 */
const MAX_WORD = 200;
const MAX_MESSAGE = 1000;

/** A message with every over-long word (an echoed name, value or URL) and the whole cut to a readable size. */
function boundedMessage(message: string): string {
  const words = message.replace(new RegExp(`\\S{${MAX_WORD + 1},}`, 'g'), (word) => `${word.slice(0, MAX_WORD / 2)}…(${word.length} characters)`);
  return words.length > MAX_MESSAGE ? `${words.slice(0, MAX_MESSAGE)}…` : words;
}

export function faultBody(status: number, message: string): Record<string, { code: number; message: string }> {
  const name = NAME_BY_STATUS[status] ?? (status >= 500 ? 'instanceFault' : 'badRequest');
  return { [name]: { code: status, message: boundedMessage(message) } };
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  /** Present because ajv runs verbose: lets an error say what the field should be. */
  parentSchema?: { description?: string; type?: string; minimum?: number; maximum?: number };
  data?: unknown;
}

/** What was sent, in a few words that never repeat a string the caller sent. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  // Past 2^53 JSON.parse has already rounded it: showing the rounded number would mislead.
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value) ? 'a number too large to hold exactly' : String(value);
  if (typeof value === 'string') return 'a string';
  return `${typeof value === 'object' ? 'an' : 'a'} ${typeof value}`;
}

/** Keywords about a value's type or range: answered with what the field must be, from its schema. */
const VALUE_KEYWORDS = new Set(['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'anyOf', 'enum', 'const']);

/** Turns a schema violation into a sentence naming the field and what it must be. */
function describeValidation(context: string | undefined, errors: AjvError[]): string {
  const first = errors[0];
  if (!first) return 'The request is invalid.';
  const where = context === 'body' ? 'request body' : context === 'querystring' ? 'query string' : (context ?? 'request');
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (context === 'body' && path === '' && (first.keyword === 'type' || first.keyword === 'anyOf')) return 'The request body is missing or is not a JSON object: send one as this route documents (see /openapi.json).';
  if (first.keyword === 'required') return `Invalid ${where}: '${path ? `${path}.` : ''}${String(first.params.missingProperty)}' is required.`;
  if (first.keyword === 'additionalProperties') {
    if (context === 'querystring') {
      const accepted = Object.keys((first.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return `Unknown query parameter '${String(first.params.additionalProperty)}': this route takes ${accepted.length ? accepted.join(', ') : 'no query parameters'}.`;
    }
    return `Invalid ${where}: '${path ? `${path}.` : ''}${String(first.params.additionalProperty)}' is not an accepted field.`;
  }
  if (first.keyword === 'pattern' && first.parentSchema?.description) return `Invalid ${where}: '${path}' must be ${first.parentSchema.description}.`;
  if (VALUE_KEYWORDS.has(first.keyword)) {
    // A union (anyOf) reports each branch first, then itself: its description covers them all.
    const union = errors.find((e) => e.keyword === 'anyOf' && e.instancePath === first.instancePath);
    const schema = (union ?? first).parentSchema;
    const scalar = union !== undefined || ['integer', 'number', 'boolean', 'string'].includes(schema?.type ?? '');
    const range = schema?.type === 'integer' && schema.minimum !== undefined && schema.maximum !== undefined ? `a whole number from ${schema.minimum} to ${schema.maximum}` : undefined;
    const wanted = scalar ? (schema?.description ?? range) : undefined;
    if (wanted) return `Invalid ${where}: '${path || '(root)'}' must be ${wanted} (got ${kindOf(first.data)}).`;
    return `Invalid ${where}: '${path || '(root)'}' ${first.message ?? 'is invalid'} (got ${kindOf(first.data)}).`;
  }
  return `Invalid ${where}: '${path || '(root)'}' ${first.message ?? 'is invalid'}.`;
}

/** Framework errors (parsing, size, media type) mapped to what the caller should fix. */
function describeFrameworkError(error: FastifyError, limit: number): { status: number; message: string } | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: `Unsupported content type: send the body as application/json.` };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `Request body is larger than the ${limit} bytes this server accepts.` };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'Request body is empty: send a JSON object.' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, message: 'Content-Length does not match the body sent.' };
    default:
      break;
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, message: `Malformed request body: not valid JSON (${error.message}).` };
  }
  return undefined;
}

export function makeErrorHandler(bodyLimit: number) {
  return function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
    if (error instanceof TroveFault) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      reply.headers(error.headers).code(error.status).send(faultBody(error.status, error.message));
      return;
    }
    if (error.validation) {
      reply.code(400).send(faultBody(400, describeValidation(error.validationContext, error.validation as AjvError[])));
      return;
    }
    const framework = describeFrameworkError(error, bodyLimit);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') drainOversizedBody(request, reply);
    if (framework) {
      reply.code(framework.status).send(faultBody(framework.status, framework.message));
      return;
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      reply.code(status).send(faultBody(status, error.message));
      return;
    }
    // Unexpected: the details go to the log, the caller gets a reference to find them.
    request.log.error({ err: error }, 'unexpected error');
    reply.code(500).send(faultBody(500, `An unexpected error occurred on the server (request ${request.id}); the operator can find it in the server log.`));
  };
}
