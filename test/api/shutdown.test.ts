// SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the pool.
import t from 'tap';
import { buildApp } from '../../http/app.ts';
import { connectApiPool } from '../../db/api-pool.ts';
import { API_ROLE } from '../../db/connection.ts';
import { serve } from '../../http/server.ts';
import { startServeProcess } from '../../scripts/serve-process.ts';
import { testDatabase } from '../helpers/db.ts';
import { insertFixture } from './fixture.ts';

t.test('shutdown drains an in-flight request, refuses new ones, then ends the pool', async (t) => {
  const { url } = await testDatabase(t);
  const sql = connectApiPool(url, { max: 2, role: API_ROLE });
  const app = await buildApp({ sql, exports: { databaseUrl: url, role: API_ROLE } });
  // Stands in for a long CSV export: a request that is still running when the signal arrives.
  app.get('/test/slow', async () => {
    const [row] = await sql`select pg_sleep(0.8), 'done' as result`;
    return { result: row!.result };
  });
  const running = await serve(app, sql, { port: 0, host: '127.0.0.1' });
  const inFlight = fetch(`${running.url}/test/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
  await new Promise((r) => setTimeout(r, 200));
  const stopped = running.shutdown();
  await new Promise((r) => setTimeout(r, 50));
  const refused = await fetch(`${running.url}/healthz`).then(
    (r) => `answered ${r.status}`,
    (error: Error) => `refused (${(error.cause as NodeJS.ErrnoException)?.code ?? error.message})`,
  );
  t.match(refused, /^refused/, `a new request during the drain is ${refused}`);
  t.same(await inFlight, { status: 200, body: { result: 'done' } }, 'the in-flight request completed');
  await stopped;
  await t.rejects(sql`select 1`, { code: 'CONNECTION_ENDED' }, 'the pool is closed');
});

t.test('`salesdash serve` exits 0 on SIGTERM after answering', async (t) => {
  const { url, sql } = await testDatabase(t);
  await insertFixture(sql);
  await sql`select salesdash.refresh_rfm()`;
  const { child, baseUrl: base } = await startServeProcess({ DATABASE_URL: url, LOG_LEVEL: 'warn' });
  const res = await fetch(`${base}/api/customers/segments`);
  t.equal(res.status, 200);
  t.equal((await res.json()).total_customers, 12);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit code 0 after SIGTERM');
});

t.test('`salesdash serve` warns when its login can reach the raw data, and not as salesdash_api', async (t) => {
  const { url, sql } = await testDatabase(t);
  await insertFixture(sql);
  await sql`select salesdash.refresh_rfm()`;
  const warning = /^salesdash: serve: warning: the API connects as "[^"]+", which can reach the raw data/m;
  for (const [name, env, warns] of [
    ['the owner as SALESDASH_API_DATABASE_URL', { SALESDASH_API_DATABASE_URL: url, DATABASE_URL: url }, true],
    ['DATABASE_URL, switched to salesdash_api', { DATABASE_URL: url }, false],
  ] as const) {
    const server = await startServeProcess({ ...env, LOG_LEVEL: 'warn' });
    const res = await fetch(`${server.baseUrl}/api/customers/segments`);
    t.equal(res.status, 200, `${name}: serves`);
    t.equal(warning.test(server.output()), warns, `${name}: ${warns ? 'warns' : 'no warning'}`);
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;
  }
});

t.test('`salesdash serve` refuses a login that cannot read schema api (the BI reader\'s), naming it', async (t) => {
  const { url, sql } = await testDatabase(t);
  await insertFixture(sql);
  await sql`select salesdash.refresh_rfm()`;
  // A login of the test's own, with only the BI reader's rights (the name is ours, not user input).
  const login = `bi_reader_${process.pid}`;
  await sql.unsafe(`create role ${login} login password 'reader-test' in role salesdash_reader`);
  try {
    const readerUrl = new URL(url);
    readerUrl.username = login;
    readerUrl.password = 'reader-test';
    await t.rejects(
      startServeProcess({ SALESDASH_API_DATABASE_URL: readerUrl.toString(), DATABASE_URL: url, LOG_LEVEL: 'warn' }),
      { message: new RegExp(`exited \\(1\\) before listening: salesdash: serve: .*the API connects as "${login}", which cannot read schema api`) },
    );
  } finally {
    await sql.unsafe(`drop role ${login}`);
  }
});
