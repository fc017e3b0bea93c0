// `salesdash serve [--port 5000] [--host 127.0.0.1]`: the HTTP API and, once built, the dashboard at /.
import type { Command } from '../command.ts';
import { parseOptions, UsageError } from '../command.ts';
import { resolveApiDatabase } from '../../db/connection.ts';
import { connectApiPool } from '../../db/api-pool.ts';
import { notMigrated } from '../../db/failure.ts';
import { exportLimitsFromEnvironment } from '../../http/plugins/exports.ts';
import { buildApp } from '../../http/app.ts';
import { serve } from '../../http/server.ts';
import { surviveKnownPostgresJsBug } from '../../db/postgres-js-guard.ts';
import { enterStep, finishCommand } from '../job.ts';

export function portNumber(value: string, source: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`${source} must be a port number from 0 to 65535 (got ${JSON.stringify(value.slice(0, 40))})`);
  }
  return Number(value);
}

export const serveCommand: Command = {
  summary: 'run the HTTP API and dashboard (--port 5000 or PORT, --host 127.0.0.1)',
  usage: `usage: salesdash serve [--port 5000] [--host 127.0.0.1]

Serves the API and the dashboard, connected as the read-only role salesdash_api.

  --port N      port to listen on (default: PORT, else 5000; 0 picks a free one)
  --host HOST   address to listen on (default: HOST, else 127.0.0.1)
`,
  async run(args) {
    const { values } = parseOptions(args, { port: { type: 'string' }, host: { type: 'string' } }, false);
    const port = values.port !== undefined ? portNumber(values.port, '--port') : portNumber(process.env.PORT ?? '5000', 'PORT');
    const host = values.host ?? process.env.HOST ?? '127.0.0.1';

    // A bad export setting is reported before anything starts.
    const exportLimits = exportLimitsFromEnvironment();
    const api = await resolveApiDatabase();
    const sql = connectApiPool(api.url, { role: api.role });
    try {
      const [schema] = await sql<{ ready: boolean; login: string; too_strong: boolean; too_weak: boolean }[]>`
        select to_regclass('salesdash.rfm_list') is not null as ready, current_user as login,
               (select rolsuper from pg_roles where rolname = current_user)
               or has_schema_privilege(current_user, 'raw', 'usage') as too_strong,
               case when to_regnamespace('api') is null then false
                    else not has_schema_privilege(current_user, 'api', 'usage') end as too_weak`;
      if (!schema?.ready) throw new Error(notMigrated);
      // Without schema api every list and profile would answer 500: refuse to start instead (the BI reader's
      // login, salesdash db url --reader, is the usual mistake).
      if (schema.too_weak) {
        throw new Error(
          `the API connects as "${schema.login}", which cannot read schema api (the BI reader's login?); ` +
            `use a login with the salesdash_api role (grant salesdash_api to ${schema.login}), see docs/api.md`,
        );
      }
      // Least privilege is the API's promise (docs/api.md); a login that breaks it still serves, but says so.
      if (schema.too_strong) {
        console.error(
          `salesdash: serve: warning: the API connects as "${schema.login}", which can reach the raw data ` +
            '(a superuser or the owner); give it the salesdash_api role instead (SALESDASH_API_DATABASE_URL, see docs/api.md)',
        );
      }
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw error;
    }
    const app = await buildApp({
      sql,
      logger: { level: process.env.LOG_LEVEL ?? 'info' },
      corsOrigin: process.env.CORS_ORIGIN,
      // Exports open sessions of their own, as the same role as the pool.
      exports: { databaseUrl: api.url, role: api.role, ...exportLimits },
    });
    surviveKnownPostgresJsBug((message) => app.log.warn(message));
    enterStep(`listening on ${host}:${port}`);
    const running = await serve(app, sql, { port, host, handleSignals: true }).catch(async (error: NodeJS.ErrnoException) => {
      await sql.end({ timeout: 1 });
      // The first thing a second `make run` meets: say what to do, not the socket's error code.
      if (error.code === 'EADDRINUSE') {
        throw new Error(`port ${port} on ${host} is already in use (another salesdash serve?); stop it, or serve on another port: PORT=${port + 1} or --port ${port + 1}`);
      }
      throw error;
    });
    console.log(`salesdash API listening on ${running.url} (OpenAPI: ${running.url}/docs/json)`);
    // Keep running until a signal; serve() exits the process after draining, with its own exit code.
    finishCommand();
    await new Promise(() => {});
  },
};
