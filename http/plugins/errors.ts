// One error shape everywhere: {"error": "<one line>"}. Client mistakes name the parameter; anything else
// is a 500 whose details go to the log only, so no stack, SQL text or server internals ever reach a body.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DeadlineExceeded } from './deadline.ts';
import { DatabaseUnavailable } from './availability.ts';

export const MAX_LIMIT = 1000;
/** rfm_page computes (page - 1) * limit as a PostgreSQL int; this keeps that below 2^31 for any limit. */
export const MAX_PAGE = 2_000_000;
export const SORT_KEYS = ['recency', 'frequency', 'monetary', 'rfm_score', 'expected_revenue'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** Raised by handlers for a client mistake the schema cannot express (e.g. an unknown segment). */
export class BadRequest extends Error {
  statusCode = 400;
}

export class NotFound extends Error {
  statusCode = 404;
}

/** 503; with `retryAfterSeconds` the answer carries a Retry-After header (the condition is temporary). */
export class Unavailable extends Error {
  statusCode = 503;
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** The sentence a user reads for each parameter, whatever ajv keyword rejected it. */
function parameterMessage(name: string, keyword: string): string {
  switch (name) {
    case 'limit':
      return `limit must be between 1 and ${MAX_LIMIT}`;
    case 'page':
      return keyword === 'maximum' ? `page must be at most ${MAX_PAGE}` : 'page must be a positive integer';
    case 'sort_by':
      return `sort_by must be one of ${SORT_KEYS.join(', ')}`;
    case 'order':
      return 'order must be asc or desc';
    case 'since':
    case 'from':
    case 'to':
      return `${name} must be a date (YYYY-MM-DD)`;
    case 'customer_id':
    case 'segment':
    case 'moved_from':
      if (keyword === 'maxLength') return `${name} is too long`;
      if (keyword === 'minLength') return `${name} must not be empty`;
      if (keyword === 'pattern') return `${name} must not contain control characters`;
      return `${name} must be a single text value`;
    default:
      return `${name} is not valid`;
  }
}

export function validationMessage(errors: SchemaError[]): string {
  const first = errors[0];
  if (!first) return 'request is not valid';
  if (first.keyword === 'required') return `${String(first.params.missingProperty)} parameter required`;
  const name = first.instancePath.split('/')[1] ?? '';
  return name ? parameterMessage(name.replace(/~1/g, '/').replace(/~0/g, '~'), first.keyword) : 'request is not valid';
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // A cacheable route may have set its ETag before failing; an error body must never be cached under it.
  reply.removeHeader('etag');
  if (error.validation) {
    reply.code(400).send({ error: validationMessage(error.validation as SchemaError[]) });
    return;
  }
  if (error instanceof Unavailable && error.retryAfterSeconds !== undefined) {
    reply.header('Retry-After', String(error.retryAfterSeconds));
  }
  if (error instanceof BadRequest || error instanceof NotFound || error instanceof Unavailable) {
    reply.code(error.statusCode).send({ error: error.message });
    return;
  }
  // Fastify's own client errors (malformed request, unsupported media type...) carry a 4xx status and a
  // message written for clients. Everything else, database errors above all, is the server's problem.
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    reply.code(status === 404 ? 404 : 400).send({ error: oneLine(error.message) });
    return;
  }
  if (error instanceof DatabaseUnavailable) request.log.warn('database unreachable: answered 500 at once');
  else request.log.error({ err: error }, error instanceof DeadlineExceeded ? 'database too slow or unreachable' : 'request failed');
  reply.code(500).send({ error: 'Internal server error' });
}

export function oneLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}

/**
 * Checks ajv cannot make: a repeated parameter arrives as an array (?limit=1&limit=2) and gets a message
 * naming it instead of a type error; integer parameters must be plain digits, because ajv's coercion
 * would accept "0x10", " 1" or "1e400" (which becomes Infinity and slips past "maximum").
 */
export async function checkQueryShape(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const query = request.query as Record<string, unknown> | undefined;
  if (!query) return;
  const declared = ((request.routeOptions.schema?.querystring as { properties?: Record<string, { type?: string }> } | undefined)
    ?.properties ?? {}) as Record<string, { type?: string }>;
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) {
      await reply.code(400).send({ error: `${oneLine(name).slice(0, 60)} must be given only once` });
      return;
    }
    if (declared[name]?.type === 'integer' && typeof value === 'string') {
      if (!/^[0-9]+$/.test(value)) {
        await reply.code(400).send({ error: parameterMessage(name, 'type') });
        return;
      }
      // More digits than any allowed value: reject before Number() turns it into Infinity.
      if (value.replace(/^0+/, '').length > 12) {
        await reply.code(400).send({ error: parameterMessage(name, 'maximum') });
        return;
      }
    }
  }
}
