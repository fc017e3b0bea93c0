// Every request has a deadline for its database work. postgres.js 3.4.9 can keep a query queued without
// settling while PostgreSQL is unreachable (it waits for a reconnect instead of failing; see porsager/
// postgres issues #1193, #1195), which would leave the request hanging. With a deadline the client gets a
// 500 quickly; the late query simply runs (or fails) when the database is back.
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Epoch ms by which the request's database work must be done. */
    databaseDeadline?: number;
  }
}

export class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`the database did not answer within ${ms} ms`);
  }
}

/** Default budget for a request's database work (SALESDASH_API_DEADLINE_MS); normal queries take a few ms. */
export function requestDeadlineMs(): number {
  return Number(process.env.SALESDASH_API_DEADLINE_MS ?? 1000);
}

/**
 * Resolves with `work`, or rejects with DeadlineExceeded once `ms` have passed. A result that arrives
 * late goes to `onLate` (e.g. to cancel an export nobody reads any more).
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onLate?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      reject(new DeadlineExceeded(ms));
    }, Math.max(ms, 0));
    work.then(
      (value) => {
        if (expired) onLate?.(value);
        else {
          clearTimeout(timer);
          resolve(value);
        }
      },
      (error: unknown) => {
        if (expired) return;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** withDeadline with what is left of the request's own budget. */
export function inTime<T>(request: FastifyRequest, work: Promise<T>, onLate?: (value: T) => void): Promise<T> {
  const deadline = request.databaseDeadline ?? Date.now() + requestDeadlineMs();
  return withDeadline(work, deadline - Date.now(), onLate);
}
