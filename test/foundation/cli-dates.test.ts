// A date option reaches the database as the day it names: `refresh --as-of 2024-02-30` used to publish as of
// March 1 (JavaScript and postgres.js roll an impossible day over), and 0001-01-01 or 9999-12-31 were taken.
// The refusals themselves, without a database, are in cli-usage.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runSalesdash } from '../helpers/cli.ts';
import { testDatabase } from '../helpers/db.ts';

t.test('refresh --as-of publishes as of the day given, and refuses one that is not a day, leaving the data as it was', async (t) => {
  const { sql, url } = await testDatabase(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'salesdash-dates-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'shop.csv');
  writeFileSync(file, 'order_id,customer_id,order_date,amount\nO1,alice,2024-02-28,10\nO2,bob,2024-03-01,5\n');
  const env = { ...process.env, DATABASE_URL: url };
  t.equal((await runSalesdash(env, 'import', 'transactions', file)).code, 0, 'imported');

  const leap = await runSalesdash(env, 'refresh', '--as-of', '2024-02-29');
  t.equal(leap.code, 0, leap.stderr);
  t.match(leap.stdout, /\nrefreshed RFM for 1 customer as of 2024-02-29 in /, 'a leap day is a day');
  const status = async () =>
    (await sql`select to_char(reference_date, 'YYYY-MM-DD') as reference_date, customers from salesdash.rfm_refresh_status`)[0];
  t.same(await status(), { reference_date: '2024-02-29', customers: 1 }, 'bob bought after it');

  for (const [asOf, problem] of [
    ['2024-02-30', 'must be a calendar date (got "2024-02-30", no such day)'],
    ['2023-02-29', 'must be a calendar date (got "2023-02-29", no such day)'],
    ['9999-12-31', 'must be from 1970-01-01 to '],
  ] as const) {
    const refused = await runSalesdash(env, 'refresh', '--as-of', asOf);
    t.equal(refused.code, 1, asOf);
    t.equal(refused.stdout, '', `${asOf}: nothing refreshed`);
    t.ok(refused.stderr.startsWith(`salesdash: refresh: --as-of ${problem}`), `${asOf}: ${refused.stderr.trim()}`);
  }
  t.same(await status(), { reference_date: '2024-02-29', customers: 1 }, 'the published refresh is the one before');
});
