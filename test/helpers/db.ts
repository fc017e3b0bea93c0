// Every test file gets its own freshly migrated database on a real PostgreSQL, so files run in parallel
// without seeing each other's rows. The server is TEST_DATABASE_URL (set by `make test`, which starts the
// embedded test cluster) or, when a file is run on its own, the embedded test cluster started here.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connect, type Sql } from '../../server/db/connection.ts';
import { start, testCluster } from '../../server/db/embedded.ts';
import { migrate } from '../../server/db/migrate.ts';

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

/** Creates and migrates a new database, dropped again when the test `t` ends. */
export async function testDatabase(t: Teardown, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const admin = await adminUrl();
  const name = `salesdash_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const adminSql = postgres(admin, { max: 1, onnotice: () => {} });
  await adminSql`create database ${adminSql(name)}`;
  await adminSql.end();
  const url = withDatabase(admin, name);
  if (options.migrate ?? true) migrate(url);
  const sql = connect(url, { max: 4 });
  t.teardown(async () => {
    await sql.end({ timeout: 5 });
    const cleanup = postgres(admin, { max: 1, onnotice: () => {} });
    await cleanup`drop database if exists ${cleanup(name)} with (force)`;
    await cleanup.end();
  });
  return { sql, url, name };
}

/** The shared data sets live outside the repo; tests that need them skip with this reason when absent. */
export const sharedDataDir = new URL('../../../shared/data/', import.meta.url).pathname;
