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

const isoDate = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Recomputes and publishes RFM; asOf (YYYY-MM-DD) ignores later purchases. `concurrently` refreshes the BI
 * materialized view without blocking its readers (slower); API readers are never blocked either way.
 */
export async function refreshRfm(sql: Sql, asOf?: string, options: { concurrently?: boolean } = {}): Promise<RefreshResult> {
  if (asOf !== undefined && (!isoDate.test(asOf) || Number.isNaN(Date.parse(`${asOf}T00:00:00Z`)))) {
    throw new Error(`--as-of must be a date YYYY-MM-DD, got "${asOf}"`);
  }
  const [row] = await sql`select salesdash.refresh_rfm(${asOf ?? null}::date, ${options.concurrently ?? false}) as result`;
  return row!.result as RefreshResult;
}
