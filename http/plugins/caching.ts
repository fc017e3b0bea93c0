// Conditional GET: the API's data only changes when refresh_rfm() or a training run completes, so one
// version string (last refresh time + model run) is a valid ETag for every cacheable route. A dashboard
// that polls gets 304 with no body and no query beyond the one-row version lookup (and the route's checks of
// its parameters).
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Sql } from '../../db/connection.ts';
import { dataVersion, versionText, type DataVersion } from '../queries/data-version.ts';
import { inTime } from './deadline.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's body is a function of the data version and its parameters only: it sets an ETag and answers
     * a matching If-None-Match with 304 (notModified). */
    cacheable?: boolean;
  }
  interface FastifyRequest {
    /** Set on cacheable routes: the data version the response is built from. */
    dataVersion?: string;
    /** The same, in its parts (what changed: the refresh, the snapshots, the model). */
    dataVersionParts?: DataVersion;
  }
}

/** Bumped when a response shape changes, so caches of an older server's bodies are not reused. */
const FORMAT = 'v2';

export function etagFor(version: string): string {
  return `"${FORMAT}-${version}"`;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

export function dataVersionHook(sql: Sql): preHandlerAsyncHookHandler {
  return async function setDataVersion(request: FastifyRequest, reply: FastifyReply) {
    if (!request.routeOptions.config.cacheable) return;
    const parts = await inTime(request, () => dataVersion(sql));
    const version = versionText(parts);
    request.dataVersion = version;
    request.dataVersionParts = parts;
    // no-cache: the browser keeps the body but asks every time, so a refresh shows up at once.
    reply.header('ETag', etagFor(version)).header('Cache-Control', 'no-cache');
  };
}

/**
 * Whether a cacheable route may answer 304 (no body): the client's If-None-Match names the current data
 * version. A route calls it once its parameters are checked, so a request it would refuse gets its 400 whatever
 * ETag it carries.
 */
export function notModified(request: FastifyRequest): boolean {
  return request.dataVersion !== undefined && matches(request.headers['if-none-match'], etagFor(request.dataVersion));
}
