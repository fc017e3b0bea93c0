// Speed of getting data in (issue 2): the generator at scale and the CDNOW import. Each measurement runs on a
// fresh scratch database created on the given server (then dropped), so it never touches anyone's data and
// always measures a load into empty tables. Used by the lead's bench/run.ts; run on its own with
//   npx tsx bench/data.ts [customers]        (DATABASE_URL or the embedded server)
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { connect, resolveDatabaseUrl, type Sql } from '../db/connection.ts';
import { migrate } from '../db/migrate.ts';
import { generate, type GenerateCounts } from '../jobs/generate/index.ts';
import { importTransactions } from '../jobs/import/transactions.ts';
import type { ImportCounts } from '../jobs/import/olist.ts';

export const cdnowFile = new URL('../../shared/data/cdnow/cdnow_transactions.csv', import.meta.url).pathname;

/** Runs `work` against a new, migrated database on the server of `serverUrl`; drops it afterwards. */
async function onScratchDatabase<T>(serverUrl: string, work: (sql: Sql) => Promise<T>): Promise<T> {
  const name = `salesdash_bench_data_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin`create database ${admin(name)}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    migrate(url.toString());
    const sql = connect(url.toString(), { max: 2 });
    try {
      return await work(sql);
    } finally {
      await sql.end({ timeout: 5 });
    }
  } finally {
    await admin`drop database if exists ${admin(name)} with (force)`;
    await admin.end();
  }
}

/** `salesdash generate --customers N` into empty tables; the counts include seconds and seconds per phase. */
export function measureGenerate(serverUrl: string, customers: number, seed = 42): Promise<GenerateCounts> {
  return onScratchDatabase(serverUrl, (sql) => generate(sql, { customers, seed }));
}

export function measureImportCdnow(serverUrl: string, file = cdnowFile): Promise<ImportCounts> {
  if (!existsSync(file)) throw new Error(`CDNOW file not found at ${file}`);
  return onScratchDatabase(serverUrl, (sql) => importTransactions(sql, file));
}

/** Seconds to generate `customers` customers (about 3 orders each) into a fresh database. */
export async function benchGenerate(serverUrl: string, customers: number): Promise<number> {
  return (await measureGenerate(serverUrl, customers)).seconds;
}

/** Seconds to import ../shared/data/cdnow/cdnow_transactions.csv into a fresh database. */
export async function benchImportCdnow(serverUrl: string): Promise<number> {
  return (await measureImportCdnow(serverUrl)).seconds;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const customers = Number(process.argv[2] ?? 1_000_000);
  const serverUrl = await resolveDatabaseUrl();
  const cdnow = await measureImportCdnow(serverUrl);
  console.log(`import CDNOW: ${cdnow.orders} orders of ${cdnow.customers} customers in ${cdnow.seconds.toFixed(2)} s`);
  const generated = await measureGenerate(serverUrl, customers);
  const phases = Object.entries(generated.phaseSeconds).map(([phase, s]) => `${phase} ${s.toFixed(1)} s`).join(', ');
  console.log(
    `generate: ${generated.customers} customers, ${generated.orders} orders, ${generated.items} items in ` +
      `${generated.seconds.toFixed(2)} s (${phases})`,
  );
}
