// The whole RFM list (optionally one segment) as CSV, streamed by PostgreSQL's COPY ... TO STDOUT, so a
// million rows never sit in Node's memory. COPY cannot take bind parameters, so the filter travels as a
// transaction-local setting (set_config with a bound value) that the COPY's query reads back; the sort
// column is an identifier from the allow-list. No user text ever becomes SQL.
//
// The COPY runs inside sql.begin() rather than on a sql.reserve()d connection: when PostgreSQL goes away
// mid-export, postgres.js fails a transaction cleanly, whereas releasing a reserved connection that has
// already closed puts the dead connection back into the pool and later queries hang on it (postgres.js 3.4.9,
// porsager/postgres issue 1199).
import { PassThrough, type Readable } from 'node:stream';
import type { Sql } from '../../db/connection.ts';
import { resumeAfterCopyEnd } from '../../db/postgres-js-copy.ts';
import type { RfmFilters } from './rfm-page.ts';

export interface RfmExport {
  /** CSV with a header line; ends when COPY is done, errors if the database fails mid-way. */
  csv: Readable;
  /** The refresh's reference date, null before the first refresh. */
  referenceDate: string | null;
  /** Stop early (the client went away): the rest is read and dropped, so the transaction ends by itself. */
  abort(): void;
}

export function rfmExport(sql: Sql, filters: RfmFilters, onLateError?: (error: unknown) => void): Promise<RfmExport> {
  return new Promise<RfmExport>((resolve, reject) => {
    let started = false;
    const transaction = sql.begin('isolation level repeatable read read only', async (tx) => {
      // One snapshot for the file name's date and the rows.
      const [info] = await tx<{ pid: number; reference_date: string | null }[]>`
        select pg_backend_pid() as pid,
               (select to_char(reference_date, 'YYYY-MM-DD') from salesdash.rfm_refresh_status) as reference_date,
               set_config('salesdash.export_segment', ${filters.segment ?? ''}, true),
               -- A million rows take seconds, longer than the API's per-statement limit for page queries.
               set_config('statement_timeout', '5min', true)`;
      const direction = filters.descending ? tx`desc` : tx`asc`;
      const copy = await tx`
        copy (
          select customer_id, recency, frequency, monetary, segment, rfm_score
          from salesdash.rfm_list
          where current_setting('salesdash.export_segment') = ''
             or segment = current_setting('salesdash.export_segment')
          order by ${tx(filters.sortBy)} ${direction}, customer_id ${direction}
        ) to stdout with (format csv, header)`.readable();

      // Our own stream in front of postgres.js's: destroying the COPY stream itself would leave its socket
      // paused and the connection stuck (postgres.js 3.4.9 gives that stream no destroy handling, so every
      // later CopyData pauses the socket and nothing resumes it), so on abort we drain it instead.
      const csv = new PassThrough();
      let aborted = false;
      copy.on('data', (chunk: Buffer) => {
        if (aborted) return;
        if (!csv.write(chunk)) copy.pause();
      });
      csv.on('drain', () => copy.resume());
      copy.once('end', () => {
        resumeAfterCopyEnd(copy); // else the COMMIT can hang on a paused socket (porsager/postgres PR 1016)
        csv.end();
      });
      copy.once('error', (error) => {
        if (!aborted) csv.destroy(error);
      });
      let copyDone = false;
      const finished = new Promise<void>((done) =>
        copy.once('close', () => {
          copyDone = true;
          done();
        }),
      );

      started = true;
      resolve({
        csv,
        referenceDate: info?.reference_date ?? null,
        abort() {
          if (aborted || copyDone) return;
          aborted = true;
          // Drain the rest and throw it away: COPY then ends on its own within seconds and the transaction
          // frees its connection. (Cancelling with pg_cancel_backend was tried: the signal can land after
          // COPY finished, on the next query that pooled connection runs.)
          copy.resume();
        },
      });
      // The transaction (and its connection) stays open until COPY has sent its last row or failed.
      await finished;
    });
    transaction.catch((error: unknown) => {
      if (!started) reject(error);
      else onLateError?.(error);
    });
  });
}
