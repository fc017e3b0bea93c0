// COPY ... TO STDOUT through postgres.js 3.4.9, around two of its behaviours:
// - It hands the COPY's stream to the query's internal resolve and, when COPY fails before its first rows were
//   flushed (an error or a cancel while the query still sorts), destroys it within the same tick: its 'error'
//   then fires before an `await` could attach a listener, and an 'error' nobody listens to ends the process.
//   So the listener goes on inside resolve, the moment the stream exists.
// - It pauses its socket when the stream's buffer is full and resumes it only from the stream's read(), which
//   a Readable no longer calls once it has ended. When the last rows and CopyDone fill the buffer while the
//   end of the query (CommandComplete, ReadyForQuery) is still on its way, the socket stays paused for good:
//   the query, its transaction and its connection never finish. So read() is called once more on close.
//   When the stream closed because its connection did, postgres.js has already cleared the socket, and that
//   read() throws (reading 'resume' of null) from the close event, which would end the API process during a
//   database outage. Nothing is left to resume then.
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
      // postgres.js's read() resumes its socket (see above), unless the connection went with the stream.
      value.once('close', () => {
        try {
          value._read(0);
        } catch (error) {
          if (!(error instanceof TypeError)) throw error;
        }
      });
      listened = true;
    }
    handOver(value);
  };
  const stream = await query.readable();
  // Fails every export loudly, rather than silently losing the guard, should a postgres.js upgrade change this.
  if (!listened) throw new Error('postgres.js no longer hands the COPY stream to query.resolve (db/copy-out.ts)');
  return stream;
}
