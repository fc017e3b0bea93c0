// The whole RFM list (optionally one segment) as CSV, streamed by PostgreSQL's COPY ... TO STDOUT, so a
// million rows never sit in Node's memory. The rows come from api.rfm_export(), which reads only the
// published generation's partition (a long export then never keeps a refresh from dropping old ones). COPY
// cannot take bind parameters, so the filter and sort travel as transaction-local settings (set_config with
// bound values) that the COPY's query reads back. No user text ever becomes SQL.
//
// `sql` is the export's own session (db/export-session.ts), never the API pool; the caller owns its limits
// (http/plugins/exports.ts) and cancels the running query when it stops the export.
import { finished, PassThrough, type Readable } from 'node:stream';
import type { Sql } from '../../db/connection.ts';
import { copyOutStream } from '../../db/copy-out.ts';
import { csvText } from './csv-cell.ts';
import type { RfmFilters } from './rfm-page.ts';

export interface RfmExport {
  /** CSV with a header line; ends when COPY is done, errors if the database fails mid-way. */
  csv: Readable;
  /** The refresh's reference date, null before the first refresh. */
  referenceDate: string | null;
  /** Settles when the transaction is over: committed, or rolled back after a failure or a stop. */
  done: Promise<void>;
}

/**
 * Starts the export; resolves once COPY has begun. When `signal` aborts, whatever COPY still sends is read
 * and dropped (so PostgreSQL is never left blocked writing to us while the caller's cancel lands) and the
 * CSV stream is destroyed.
 */
export function rfmExport(
  sql: Sql,
  filters: RfmFilters,
  signal: AbortSignal,
  onLateError?: (error: unknown) => void,
): Promise<RfmExport> {
  return new Promise<RfmExport>((resolve, reject) => {
    let started = false;
    const transaction = sql.begin('isolation level repeatable read read only', async (tx) => {
      // One snapshot for the file name's date and the rows. COPY takes no bind parameters: the filter and
      // the sort travel as transaction-local settings (bound values), and api.rfm_export checks the sort.
      const [info] = await tx<{ reference_date: string | null }[]>`
        select (select to_char(reference_date, 'YYYY-MM-DD') from salesdash.rfm_refresh_status) as reference_date,
               set_config('salesdash.export_segment', ${filters.segment ?? ''}, true),
               set_config('salesdash.export_sort_by', ${filters.sortBy}, true),
               set_config('salesdash.export_descending', ${String(filters.descending)}, true),
               set_config('salesdash.export_moved_from', ${filters.movement?.movedFrom ?? ''}, true),
               set_config('salesdash.export_since', ${filters.movement?.since ?? ''}, true)`;
      signal.throwIfAborted();
      const list = filters.movement
        ? tx`api.rfm_movers(nullif(current_setting('salesdash.export_segment'), ''),
                            current_setting('salesdash.export_moved_from'),
                            current_setting('salesdash.export_since')::date,
                            current_setting('salesdash.export_sort_by'),
                            current_setting('salesdash.export_descending')::boolean) as list`
        : tx`api.rfm_export(nullif(current_setting('salesdash.export_segment'), ''),
                            current_setting('salesdash.export_sort_by'),
                            current_setting('salesdash.export_descending')::boolean) as list`;
      // The columns of salesdash.rfm_list, in its order (a test holds the two together); text cells that a
      // spreadsheet would run as a formula are written as text (csv-cell.ts).
      const copyQuery = tx`
        copy (select ${csvText(tx, 'customer_id')}, recency, frequency, monetary, ${csvText(tx, 'segment')}, rfm_score, expected_revenue
              from ${list})
        to stdout with (format csv, header)`;
      let copyError: unknown;
      const copy = await copyOutStream(copyQuery, (error) => (copyError ??= error));
      const copyOver = new Promise<void>((done) => finished(copy, () => done()));
      if (copy.destroyed) {
        // COPY failed before its first rows (e.g. cancelled while sorting): the export never started.
        await copyOver;
        throw copyError ?? new Error('COPY ended before it started');
      }

      // Our own stream in front of postgres.js's: destroying the COPY stream itself would leave its socket
      // paused and the connection stuck, so on a stop we drain it instead.
      const csv = new PassThrough();
      copy.on('data', (chunk: Buffer) => {
        if (signal.aborted) return;
        if (!csv.write(chunk)) copy.pause();
      });
      csv.on('drain', () => copy.resume());
      copy.once('end', () => csv.end());
      copy.once('error', (error) => {
        if (!signal.aborted) csv.destroy(error);
      });
      const stop = () => {
        copy.resume();
        csv.destroy();
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });

      started = true;
      resolve({ csv, referenceDate: info?.reference_date ?? null, done: transaction.then(noop, noop) });
      // The transaction (and its connection) stays open until COPY has sent its last row or failed.
      await copyOver;
      signal.removeEventListener('abort', stop);
      if (copyError) throw copyError;
    });
    transaction.catch((error: unknown) => {
      if (!started) reject(error);
      else if (!signal.aborted) onLateError?.(error);
    });
  });
}

function noop(): void {}

