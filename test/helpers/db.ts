// Every test file gets its own freshly migrated database on a real PostgreSQL, so files run in parallel
// without seeing each other's rows. The server is TEST_DATABASE_URL (set by `make test`, which starts the
// embedded test cluster) or, when a file is run on its own, the embedded test cluster started here.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connect, type Sql } from '../../db/connection.ts';
import { start, testCluster } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';

export interface TestDatabase {
  sql: Sql;
  url: string;
  name: string;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function adminUrl(): Promise<string> {
  return process.env.TEST_DATABASE_URL ?? (await start(testCluster()));
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Creates (and by default migrates) a database with a unique name on the server at `admin`, dropped again
 * when the test `t` ends. `beforeDrop` runs first, e.g. restarting a cluster the test stopped.
 */
export async function scratchDatabase(
  t: Teardown,
  admin: string,
  options: { prefix?: string; migrate?: boolean; beforeDrop?: () => unknown } = {},
): Promise<{ url: string; name: string }> {
  const name = `${options.prefix ?? 'salesdash_test'}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const adminSql = postgres(admin, { max: 1, onnotice: () => {} });
  await adminSql`create database ${adminSql(name)}`;
  await adminSql.end();
  t.teardown(async () => {
    await options.beforeDrop?.();
    const cleanup = postgres(admin, { max: 1, onnotice: () => {} });
    await cleanup`drop database if exists ${cleanup(name)} with (force)`;
    await cleanup.end();
  });
  const url = withDatabase(admin, name);
  if (options.migrate ?? true) migrate(url);
  return { url, name };
}

/** Creates and migrates a new database on the test server, dropped again when the test `t` ends. */
export async function testDatabase(t: Teardown, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  let sql: Sql | undefined;
  const { url, name } = await scratchDatabase(t, await adminUrl(), {
    migrate: options.migrate,
    beforeDrop: () => sql?.end({ timeout: 5 }),
  });
  sql = connect(url, { max: 4 });
  return { sql, url, name };
}

/** The shared data sets live outside the repo; tests that need them skip with this reason when absent. */
export const sharedDataDir = new URL('../../../shared/data/', import.meta.url).pathname;
