// COPY ... TO STDOUT through postgres.js 3.4.9 (pinned exactly in package.json): what callers must do around
// its bugs. test/packaging/postgres-js.test.ts reproduces each bug with the installed version and fails, saying
// which workaround to remove, once a release fixes it.
import type { Readable } from 'node:stream';

/**
 * Call when a postgres.js COPY TO stream emits 'end'. postgres.js pauses the connection's socket whenever a
 * CopyData message finds the stream's buffer full and resumes it only from the stream's _read, which Node never
 * calls once the stream has ended. When the last CopyData filled the buffer and CopyDone arrived in the same
 * network read (the whole result came in before it was read), the socket stays paused: the next answer on that
 * connection (the transaction's COMMIT) is never read, the transaction never ends, the pool loses the
 * connection, and at shutdown the paused socket keeps the process alive. porsager/postgres PR 1016 (not
 * released; issue 499). One more _read resumes the socket; it is a no-op otherwise.
 */
export function resumeAfterCopyEnd(copy: Readable): void {
  (copy as unknown as { _read(size: number): void })._read(0);
}
