// Runs the app on a port. On SIGTERM/SIGINT it stops accepting connections, lets in-flight requests
// (a long CSV export included) finish, then closes the database pool, so a deploy or Ctrl-C loses nothing.
import type { FastifyInstance } from 'fastify';
import type { Sql } from './db/connection.ts';

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
      try {
        await app.close();
      } finally {
        clearTimeout(cut);
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
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { app, url, shutdown };
}
