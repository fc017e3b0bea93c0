// Builds the API against a fresh test database, the way `salesdash serve` does (same pool settings).
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../http/app.ts';
import { connectApiPool } from '../../db/api-pool.ts';
import { API_ROLE, type Sql } from '../../db/connection.ts';
import type { ExportOptions } from '../../http/plugins/exports.ts';
import { testDatabase } from '../helpers/db.ts';
import { insertFixture } from './fixture.ts';

interface TestContext {
  teardown(fn: () => unknown): void;
}

export interface TestApi {
  app: FastifyInstance;
  /** The test's own admin connection (to set up data or break things). */
  sql: Sql;
  /** The app's pool. */
  apiSql: Sql;
  url: string;
}

export type TestAppOptions = Partial<Omit<AppOptions, 'exports'>> & {
  exports?: Partial<ExportOptions>;
  /** The pool's statement_timeout (default: the API pool's own, 10 s). */
  statementTimeoutMs?: number;
};

/** The app on an existing database (its own 4-connection pool; exports on sessions of their own), closed with `t`. */
export async function apiOn(
  t: TestContext,
  url: string,
  { statementTimeoutMs, ...options }: TestAppOptions = {},
): Promise<{ app: FastifyInstance; apiSql: Sql }> {
  // The app works as the API's role, as `salesdash serve` does: it can read only what the API may read.
  const apiSql = connectApiPool(url, { max: 4, role: API_ROLE, statementTimeoutMs });
  const app = await buildApp({ sql: apiSql, ...options, exports: { databaseUrl: url, role: API_ROLE, ...options.exports } });
  t.teardown(async () => {
    await app.close();
    await apiSql.end({ timeout: 1 });
  });
  return { app, apiSql };
}

export async function testApi(
  t: TestContext,
  options: { fixture?: boolean; refresh?: boolean; app?: TestAppOptions } = {},
): Promise<TestApi> {
  const { sql, url } = await testDatabase(t);
  if (options.fixture ?? true) await insertFixture(sql);
  if (options.refresh ?? true) await sql`select salesdash.refresh_rfm()`;
  const { app, apiSql } = await apiOn(t, url, options.app);
  return { app, sql, apiSql, url };
}
