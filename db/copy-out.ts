// COPY ... TO STDOUT through postgres.js 3.4.9 without the risk of an unheard error. postgres.js hands the
// COPY's stream to the query's internal resolve and, when COPY fails before its first rows were flushed (an
// error or a cancel while the query still sorts), destroys the stream within the same tick: its 'error'
// event then fires before an `await` could attach a listener, and an 'error' nobody listens to ends the
// process. So the listener goes on inside resolve, the moment the stream exists.
import { Readable } from 'node:stream';
import type { PendingQuery, Row } from 'postgres';

/** The COPY's stream with `onError` listening from its creation; it may already be destroyed when returned. */
export async function copyOutStream(query: PendingQuery<Row[]>, onError: (error: unknown) => void): Promise<Readable> {
  const internals = query as unknown as { resolve(value: unknown): void };
  const handOver = internals.resolve;
  let listened = false;
  internals.resolve = (value) => {
    if (value instanceof Readable) {
      value.on('error', onError);
      listened = true;
    }
    handOver(value);
  };
  const stream = await query.readable();
  // Fails every export loudly, rather than silently losing the guard, should a postgres.js upgrade change this.
  if (!listened) throw new Error('postgres.js no longer hands the COPY stream to query.resolve (db/copy-out.ts)');
  return stream;
}
