// The last step of `salesdash generate` and `salesdash import`: bring the RFM order facts up to date with
// what was just loaded (jobs/rfm/prepare.ts) and say what happened. It runs after the load has committed:
// if it is interrupted the facts stay queued or marked out of date and the next refresh does the same work,
// so nothing is lost.
import type { Sql } from '../db/connection.ts';
import { prepareRfm, type PrepareResult } from '../jobs/rfm/prepare.ts';
import { enterStep } from './job.ts';
import type { ProgressLine } from './progress.ts';

export async function prepareRfmAfterLoad(sql: Sql, progress: ProgressLine): Promise<void> {
  enterStep('bringing the RFM order facts up to date (the load itself was committed)');
  progress.update('bringing the RFM order facts up to date');
  const prepared = await prepareRfm(sql);
  progress.done();
  console.log(describePrepare(prepared));
}

/** One line: what the load did to the RFM inputs. */
function describePrepare(result: PrepareResult): string {
  const what = result.orderFacts === 'current' ? 'already current' : result.orderFacts;
  return `RFM order facts ${what} in ${result.seconds.toFixed(2)} s (run salesdash refresh to publish new scores)`;
}
