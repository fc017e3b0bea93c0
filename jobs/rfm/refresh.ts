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

/**
 * The refunds a refresh as of `referenceDate` leaves out, as it leaves out later purchases: those dated after it.
 * With the default reference date (the latest purchase), a shop whose last refunds came after its last sale
 * would otherwise not know they are not in monetary yet.
 */
export async function refundsAfter(sql: Sql, referenceDate: string): Promise<{ refunds: number; amount: string }> {
  const [row] = await sql<{ refunds: number; amount: string }[]>`
    select count(*)::int as refunds, coalesce(sum(amount), 0)::numeric(16, 2)::text as amount
    from salesdash_internal.int_refunds
    where refunded_at >= ${referenceDate}::date + 1`;
  return row!;
}

/** The metrics an analyst's cut points (salesdash.rfm_score_bounds) score instead of quintiles. */
export async function metricsWithCutPoints(sql: Sql): Promise<string[]> {
  const rows = await sql<{ metric: string }[]>`select distinct metric from salesdash.rfm_score_bounds order by metric`;
  return rows.map((r) => r.metric);
}
