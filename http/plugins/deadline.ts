// Every request has a deadline for its database work, and fails at once while the database is known to
// be unreachable (see availability.ts). postgres.js 3.4.9 can keep a query queued without settling while
// PostgreSQL is away (it waits for a reconnect instead of failing; porsager/postgres issues #1193, #1195),
// which would otherwise leave the request hanging. The late query simply runs or fails when the database
// is back.
import type { FastifyRequest } from 'fastify';
import type { Sql } from '../../db/connection.ts';
import { DatabaseAvailability } from './availability.ts';
import { wholeNumberSetting } from '../../settings.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Epoch ms by which the request's database work must be done. */
    databaseDeadline?: number;
  }
  interface FastifyInstance {
    databaseAvailability: DatabaseAvailability;
  }
}

export class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`the database did not answer within ${ms} ms`);
  }
}

/**
 * How long a query that sorts or scans a whole list (every customer) may run: a list's first page after a
 * refresh, a movers list, a movement matrix, the start of a CSV export. Seconds at a million customers, up to
 * about 25 s at ten million. The API pool's statement_timeout (10 s) is for lookups; these queries raise it for
 * their own transaction, and a request waiting for one gets as long.
 */
export const WHOLE_LIST_MS = 60_000;

/** How long a request may wait for a whole-list query: WHOLE_LIST_MS, or what is left of the request's own
 * budget when that is longer (SALESDASH_API_DEADLINE_MS above 60 s). */
export function wholeListBudgetMs(request: FastifyRequest): number {
  return Math.max(WHOLE_LIST_MS, (request.databaseDeadline ?? 0) - Date.now());
}

/** Runs a whole-list query with WHOLE_LIST_MS as its statement timeout, in a transaction of its own. */
export function wholeList<T>(sql: Sql, run: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select set_config('statement_timeout', ${String(WHOLE_LIST_MS)}, true)`;
    return run(tx as unknown as Sql);
  }) as Promise<T>;
}

/** Default budget for a request's database work (SALESDASH_API_DEADLINE_MS); normal queries take a few ms. */
export function requestDeadlineMs(): number {
  return wholeNumberSetting('SALESDASH_API_DEADLINE_MS', 3000, 600_000);
}

/**
 * Runs `start()` and resolves with its result, or rejects with DeadlineExceeded when the request's budget
 * (or `budgetMs` from now) runs out, or with DatabaseUnavailable as soon as the database is known to be
 * unreachable. A result that arrives after the caller gave up goes to `onLate` (e.g. to stop an export).
 */
export function inTime<T>(
  request: FastifyRequest,
  start: () => Promise<T>,
  options: { budgetMs?: number; onLate?: (value: T) => void } = {},
): Promise<T> {
  const ms =
    options.budgetMs ?? (request.databaseDeadline ?? Date.now() + requestDeadlineMs()) - Date.now();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const timer = setTimeout(() => fail(new DeadlineExceeded(ms)), Math.max(ms, 0));
    const work = request.server.databaseAvailability.guard(start, fail);
    work?.then((value) => {
      if (settled) options.onLate?.(value);
      else {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      }
    }, fail);
  });
}
