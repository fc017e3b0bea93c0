// The API's connection pool. It differs from the batch commands' pool (db/connection.ts) in one way
// that matters: a web request must fail fast. When PostgreSQL is away, a request should answer 500 within
// about a second instead of hanging until the client gives up, and a runaway statement must not hold a
// connection forever. postgres.js reconnects by itself on the next query once the server is back.
import postgres from 'postgres';
import type { Sql } from './connection.ts';
import { wholeNumberSetting } from '../settings.ts';

export interface ApiPoolOptions {
  /** Connections; several requests run at once, 10 keeps a 2-core PostgreSQL busy without thrashing. */
  max?: number;
  /** Seconds to wait for a new connection before the request fails. */
  connectTimeout?: number;
  /** Milliseconds any one statement may run (PostgreSQL's statement_timeout). The CSV export lifts it. */
  statementTimeoutMs?: number;
  /** Switch to this role at login (see resolveApiDatabase). */
  role?: string;
}

export function connectApiPool(url: string, options: ApiPoolOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? wholeNumberSetting('SALESDASH_API_POOL', 10, 1000),
    connect_timeout: options.connectTimeout ?? 1,
    idle_timeout: 60,
    onnotice: () => {},
    // postgres.js waits up to 20 s (growing with every failed attempt) before reconnecting; after an outage
    // the API should be back within a second of PostgreSQL, and availability.ts already limits how often
    // requests try while it is down.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.5),
    connection: {
      application_name: 'salesdash-api',
      ...(options.role ? { role: options.role } : {}),
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      // Every API query is an index lookup whose best plan does not depend on the values; planning the
      // customer profile anew each time costs three times its execution.
      plan_cache_mode: 'force_generic_plan',
    },
  });
}
