// Thin wrapper over salesdash.prepare_rfm(): after a load, bring the order facts and cached totals up to date
// so the next refresh_rfm() starts from them (the rebuild a bulk load needs is paid by the load).
import type { Sql } from '../../db/connection.ts';

export type OrderFactsOutcome = 'rebuilt' | 'caught up' | 'current';

export interface PrepareResult {
  orderFacts: OrderFactsOutcome;
  seconds: number;
}

export async function prepareRfm(sql: Sql): Promise<PrepareResult> {
  const started = performance.now();
  const [row] = await sql`select salesdash.prepare_rfm() as outcome`;
  return { orderFacts: row!.outcome as OrderFactsOutcome, seconds: (performance.now() - started) / 1000 };
}
