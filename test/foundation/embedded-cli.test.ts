// `salesdash db start|status|url|stop` on a cluster of its own (own data folder and port), end to end:
// initdb on first start, a URL that a client can use, a clean stop, and one-line errors with exit codes.
import { execFile } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import t from 'tap';
import { projectRoot } from '../../paths.ts';
import { freePort } from '../helpers/net.ts';

const run = promisify(execFile);
const bin = path.join(projectRoot, 'bin', 'salesdash.js');

t.test('db start, status, url and stop manage an embedded server', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'salesdash-db-'));
  chmodSync(dataDir, 0o755); // the server runs as the postgres OS user when we are root
  const env = { ...process.env, SALESDASH_DATA_DIR: dataDir, SALESDASH_PG_PORT: String(await freePort()), DATABASE_URL: '' };
  const salesdash = async (...args: string[]) =>
    run(process.execPath, [bin, ...args], { env }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  t.teardown(async () => {
    await salesdash('db', 'stop');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const before = await salesdash('db', 'status');
  t.equal(before.code, 3);
  t.match(before.stdout, /not initialised/);
  const noUrl = await salesdash('db', 'url');
  t.equal(noUrl.code, 1);
  t.equal(noUrl.stderr, 'salesdash: embedded PostgreSQL is not running (run: salesdash db start)\n');

  t.equal((await salesdash('db', 'start')).code, 0);
  const status = await salesdash('db', 'status');
  t.equal(status.code, 0);
  t.match(status.stdout, /^running on port \d+/);
  const { stdout } = await salesdash('db', 'url');
  const url = stdout.trim();
  t.match(url, /^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/salesdash$/);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const [row] = await sql`select current_database() as db, current_setting('server_version_num')::int >= 140000 as modern`;
  await sql.end();
  t.same({ ...row }, { db: 'salesdash', modern: true });

  t.equal((await salesdash('db', 'start')).code, 0, 'starting a running server is fine');
  t.equal((await salesdash('db', 'stop')).code, 0);
  const after = await salesdash('db', 'status');
  t.equal(after.code, 3);
  t.match(after.stdout, /^stopped/);
  const bad = await salesdash('db', 'restart');
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^salesdash: usage: salesdash db start\|stop\|status\|url \(unknown action "restart"\)\n$/);
});
