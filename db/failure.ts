// What a database failure means for the user, in words: the one place that recognises a lost connection, a
// server that is away or shutting down, and a cancelled statement, whichever layer reported it (postgres.js,
// PostgreSQL itself or the operating system's socket).

interface ErrorShape {
  code?: unknown;
  message?: unknown;
}

// postgres.js's own codes, and the socket errors Node reports, for a connection that died under a query.
const lostCodes: Record<string, string> = {
  CONNECTION_CLOSED: 'server closed the connection unexpectedly',
  CONNECTION_DESTROYED: 'the connection was closed while in use',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'the server stopped reading',
  ETIMEDOUT: 'no answer from the server',
};

// ... and for one that could not be opened.
const unreachableCodes = new Set(['ECONNREFUSED', 'CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** What to say when the database lacks the salesdash schema, or part of it: it was never migrated. */
export const notMigrated = 'the database has no salesdash schema yet (run: salesdash migrate)';

/** The words for a connection that died under a job, whoever noticed it. */
export function connectionLost(detail: string): string {
  return `the database connection was lost (${detail})`;
}

// dbmate (Go's database/sql and lib/pq) reports a dropped connection in words only.
const lostConnectionWords = /bad connection|unexpected EOF|connection reset|broken pipe|terminating connection|server closed the connection/i;

/** The dbmate error line, reworded when it means the connection was lost. */
export function describeDbmateFailure(line: string): string {
  return lostConnectionWords.test(line) ? connectionLost(line) : line;
}

/**
 * One phrase for a failure that came from the database being away or dropping the connection, e.g.
 * "the database connection was lost (server closed the connection unexpectedly)"; undefined for any other error.
 */
export function describeDatabaseFailure(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as ErrorShape;
  if (typeof code !== 'string') return undefined;
  const text = typeof message === 'string' ? message.split('\n')[0] : '';
  if (code in lostCodes) return connectionLost(lostCodes[code]!);
  if (unreachableCodes.has(code)) return `could not connect to the database (${text.replace(/^(write|connect) /, '')})`;
  // SQLSTATE: the server not accepting connections (starting up, shutting down, full), then class 08 (connection
  // exception) and 57P (terminated by an administrator, a crash or a shutdown).
  if (code === '57P03' || code === '53300') return `could not connect to the database (${text})`;
  // Refused at login: a wrong password, a role or database that does not exist, no pg_hba.conf entry.
  if (code === '28P01' || code === '28000' || code === '3D000') return `could not connect to the database (${text})`;
  if (/^08...$/.test(code) || /^57P0[124]$/.test(code)) return connectionLost(text);
  if (code === '57014') return `the statement was cancelled (${text})`;
  // One of our schemas, tables or functions missing: the database was never migrated, or not to this version.
  if ((code === '3F000' || code === '42P01' || code === '42883') && /"(salesdash|salesdash_internal|api|raw)[".]/.test(text)) {
    return `${notMigrated}: ${text}`;
  }
  return undefined;
}
