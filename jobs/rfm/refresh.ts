// Thin wrapper over salesdash.refresh_rfm(): the computation lives in SQL (db/migrations, see db/README.md).
import type { Sql } from '../../db/connection.ts';

export interface RefreshStep {
  step: string;
  seconds: number;
  /** Rows the step produced, where it says. */
  rows?: number;
  rfm_scores_refreshed?: boolean;
}

export interface RefreshResult {
  generation: number;
  customers: number;
  reference_date: string | null;
  as_of: string | null;
  seconds: number;
  /** false when a reader held rfm_scores past the wait: it still shows the previous generation. */
  rfm_scores_refreshed: boolean;
  steps: RefreshStep[];
}

/**
 * Recomputes and publishes RFM; asOf (YYYY-MM-DD) ignores later purchases. `concurrently` refreshes the BI
 * materialized view without blocking its readers (slower); API readers are never blocked either way.
 */
export async function refreshRfm(sql: Sql, asOf?: string, options: { concurrently?: boolean } = {}): Promise<RefreshResult> {
  // As text: PostgreSQL refuses a day that does not exist, where a date parameter would go through JavaScript's
  // Date and turn 2024-02-30 into March 1. The CLI checks its option first (dateOption), with a clearer message.
  const [row] = await sql`select salesdash.refresh_rfm(${asOf ?? null}::text::date, ${options.concurrently ?? false}) as result`;
  return row!.result as RefreshResult;
}
