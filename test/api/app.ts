// Builds the API against a fresh test database, the way `salesdash serve` does (same pool settings).
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../http/app.ts';
import { connectApiPool } from '../../db/api-pool.ts';
import { API_ROLE, type Sql } from '../../db/connection.ts';
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

export async function testApi(
  t: TestContext,
  options: { fixture?: boolean; refresh?: boolean; app?: Partial<AppOptions> } = {},
): Promise<TestApi> {
  const { sql, url } = await testDatabase(t);
  if (options.fixture ?? true) await insertFixture(sql);
  if (options.refresh ?? true) await sql`select salesdash.refresh_rfm()`;
  // The app works as the API's role, as `salesdash serve` does: it can read only what the API may read.
  const apiSql = connectApiPool(url, { max: 4, role: API_ROLE });
  const app = await buildApp({ sql: apiSql, ...options.app });
  t.teardown(async () => {
    await app.close();
    await apiSql.end({ timeout: 1 });
  });
  return { app, sql, apiSql, url };
}
