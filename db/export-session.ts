// The CSV export's database sessions: each export opens a connection of its own and closes it afterwards,
// apart from the API pool (db/api-pool.ts), so downloads can never take the connections that ordinary
// requests need. Because a session is never reused, a cancel aimed at an export can only hit that export.
import postgres from 'postgres';
import type { Sql } from './connection.ts';

/** application_name of every export session (what pg_stat_activity shows). */
export const EXPORT_APPLICATION_NAME = 'salesdash-export';

export interface ExportSession {
  sql: Sql;
  /**
   * Asks PostgreSQL to cancel what the session runs now (pg_cancel_backend of its own backend, found by pid
   * and start time, so a backend that died and whose pid was reused is never hit). Never rejects; false when
   * the request could not be made (e.g. the database is unreachable).
   */
  cancel(): Promise<boolean>;
  /** Closes the connection: at once when idle; a transaction still running is cut after `timeoutSeconds`. */
  end(timeoutSeconds: number): Promise<void>;
}

export interface ExportSessionOptions {
  /**
   * Server-side backstop for the export's time limit, enforced by PostgreSQL itself as statement_timeout and
   * idle_in_transaction_session_timeout (neither can interrupt a backend blocked writing to a client that
   * does not read: the HTTP layer's own limit covers that).
   */
  timeoutMs: number;
  /** Switch to this role at login (the API's role, when its URL's user is not that role already). */
  role?: string;
}

function sessionOptions(applicationName: string, settings: Record<string, string | number> = {}) {
  return {
    max: 1,
    // A new backend can take over a second to start on a loaded server (the export soak saw it), and an
    // export has SALESDASH_EXPORT_START_MS (60 s) to start; a stopped server still refuses at once.
    connect_timeout: 5,
    // Exports read text and numbers only; skipping the array type lookup saves a round trip per session.
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: applicationName, ...settings },
  };
}

export async function openExportSession(url: string, options: ExportSessionOptions): Promise<ExportSession> {
  const sql = postgres(
    url,
    sessionOptions(EXPORT_APPLICATION_NAME, {
      statement_timeout: options.timeoutMs,
      idle_in_transaction_session_timeout: options.timeoutMs,
      ...(options.role ? { role: options.role } : {}),
    }),
  );
  let backend: { pid: number; started: string | null };
  try {
    const [row] = await sql<{ pid: number; started: string | null }[]>`
      select pid, (extract(epoch from backend_start) * 1000000)::bigint::text as started
      from pg_stat_activity where pid = pg_backend_pid()`;
    backend = row!;
  } catch (error) {
    await sql.end({ timeout: 0 });
    throw error;
  }
  return {
    sql,
    async cancel() {
      // A connection of its own: the session's one connection is busy with the query to cancel.
      // As the URL's own user, not the role the session switched to: a cancel needs the rights of the
      // session's login (with salesdash_api's own login, that is salesdash_api).
      const canceller = postgres(url, sessionOptions(`${EXPORT_APPLICATION_NAME}-cancel`));
      try {
        await canceller`
          select pg_cancel_backend(pid) from pg_stat_activity
          where pid = ${backend.pid}
            -- A session that switched to another role at login cannot see its own start time (it is shown
            -- only to its login's role): then the pid alone, during the seconds its export is stopping.
            and (${backend.started}::text is null or (extract(epoch from backend_start) * 1000000)::bigint::text = ${backend.started})`;
        return true;
      } catch {
        return false;
      } finally {
        await canceller.end({ timeout: 0 });
      }
    },
    end: (timeoutSeconds) => sql.end({ timeout: timeoutSeconds }),
  };
}
