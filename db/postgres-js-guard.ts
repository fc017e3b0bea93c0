// postgres.js 3.4.9 can throw from a timer after PostgreSQL dropped a connection: a write scheduled with
// setImmediate runs after the socket was cleared ("Cannot read properties of null (reading 'write')" in
// connection.js nextWrite; porsager/postgres issues 1154 and 1208, fixes proposed in PRs 1168 and 1209, none
// released). A query sent on a connection whose socket has closed schedules that write: e.g. the ROLLBACK that
// sql.begin() sends after the transaction's connection died. Nothing awaits that timer, so it surfaces as an
// uncaught exception and would take the whole API down during a database outage, so this one error is logged
// and survived; every other uncaught exception still ends the process. The pool recovers, the connection that
// threw slowly: it keeps the bytes it could not send, so its next connection attempts time out (connect_timeout
// each) until enough start-up messages pile up to be flushed (nine attempts when measured). That part is not
// worked around. test/packaging/postgres-js.test.ts reproduces the error and the first timed-out reconnect.

export function isPostgresJsWriteAfterClose(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    /reading 'write'/.test(error.message) &&
    /postgres[/\\]src[/\\]connection\.js/.test(error.stack ?? '')
  );
}

/** Installs the guard once per process; `warn` receives the survived errors. */
export function surviveKnownPostgresJsBug(warn: (message: string) => void): () => void {
  const onUncaught = (error: Error) => {
    if (isPostgresJsWriteAfterClose(error)) {
      warn('survived a postgres.js write after a closed connection (known 3.4.9 bug during outages)');
      return;
    }
    // Not ours to survive: end the process as Node would without a handler.
    process.stderr.write(`${error.stack ?? String(error)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', onUncaught);
  return () => process.removeListener('uncaughtException', onUncaught);
}
