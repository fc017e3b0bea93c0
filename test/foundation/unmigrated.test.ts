// A command pointed at a database that was never migrated (a new DATABASE_URL, or migrate forgotten) says so
// and what to run, instead of only "relation ... does not exist"; the database is left as it was.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runSalesdash } from '../helpers/cli.ts';
import { testDatabase } from '../helpers/db.ts';

t.test('every command that needs the schema names the missing migration', async (t) => {
  const { sql, url } = await testDatabase(t, { migrate: false });
  const dir = mkdtempSync(path.join(tmpdir(), 'salesdash-unmigrated-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'shop.csv');
  writeFileSync(file, 'order_id,customer_id,order_date,amount\n1,a,2024-01-01,10\n');
  const env = { ...process.env, DATABASE_URL: url, SALESDASH_DATA_DIR: dir };
  for (const args of [['refresh'], ['import', 'transactions', file], ['train'], ['history', '--monthly'], ['reset', '--yes']]) {
    const result = await runSalesdash(env, ...args);
    t.equal(result.code, 1, `${args[0]}: exit 1`);
    // The last line (train says which TensorFlow.js backend it loaded first).
    const last = result.stderr.trimEnd().split('\n').at(-1);
    t.match(last, /^salesdash: \w+ failed while [^:]+: the database has no salesdash schema yet \(run: salesdash migrate\): (schema|relation|function) "[^"]+" does not exist$/,
      `${args.join(' ')}: ${last}`);
  }
  const [{ schemas }] = await sql<{ schemas: number }[]>`
    select count(*)::int as schemas from pg_namespace where nspname in ('raw', 'salesdash', 'salesdash_internal', 'api')`;
  t.equal(schemas, 0, 'nothing was created');
});

t.test('a login the server refuses is a failure to connect, not of the job step that first queried', async (t) => {
  const { url } = await testDatabase(t, { migrate: false });
  const wrong = new URL(url);
  wrong.password = 'not-the-password';
  const missing = new URL(url);
  missing.pathname = '/no_such_database';
  for (const [given, cause] of [[wrong, /password authentication failed/], [missing, /database "no_such_database" does not exist/]] as const) {
    const result = await runSalesdash({ ...process.env, DATABASE_URL: given.toString() }, 'refresh');
    t.equal(result.code, 1);
    t.match(result.stderr, /^salesdash: refresh failed: could not connect to the database \(/);
    t.match(result.stderr, cause);
  }
});
