// What HTTP clients see beyond the bodies: ETag/304 tied to refreshes and model runs, CORS by
// CORS_ORIGIN, and the dashboard's files served next to the API.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testApi } from './app.ts';

t.test('ETag: repeat requests get 304 until a refresh or a training run changes the data', async (t) => {
  const { app, sql } = await testApi(t);
  const cacheable = ['/api/customers/segments', '/api/customers/rfm?limit=2', '/api/customers/rfm.csv'];
  const first = await app.inject('/api/customers/segments');
  const etag = first.headers.etag as string;
  t.match(etag, /^"v2-\d+-1\.\d+-none"$/, 'refresh time, one snapshot and "no model yet" in the ETag');
  t.equal(first.headers['cache-control'], 'no-cache');
  for (const url of cacheable) {
    const again = await app.inject({ url, headers: { 'if-none-match': etag } });
    t.equal(again.statusCode, 304, `${url}: 304 with the same ETag`);
    t.equal(again.body, '', `${url}: no body`);
    t.equal(again.headers.etag, etag);
  }
  // The ETag is the data version, the same for every route: a request the route refuses gets its 400 with it too.
  const refused = [
    ['/api/customers/rfm?segment=Foo', 'segment "Foo" is not a known segment'],
    ['/api/customers/rfm.csv?segment=Foo', 'segment "Foo" is not a known segment'],
    ['/api/customers/rfm?moved_from=Loyal&since=2001-01-01', 'since: no snapshot on 2001-01-01 (GET /api/snapshots lists them)'],
    ['/api/segments/movement?from=2001-01-01', 'from: no snapshot on 2001-01-01 (GET /api/snapshots lists them)'],
  ] as const;
  for (const [url, message] of refused) {
    const response = await app.inject({ url, headers: { 'if-none-match': etag } });
    t.equal(response.statusCode, 400, `${url}: 400 whatever the If-None-Match`);
    t.equal(response.json().error, message, url);
    t.notOk(response.headers.etag, `${url}: an error carries no ETag`);
  }
  const stale = await app.inject({ url: '/api/customers/segments', headers: { 'if-none-match': '"v2-123-none"' } });
  t.equal(stale.statusCode, 200, 'another ETag gets the full body');

  await sql`select salesdash.refresh_rfm()`;
  const refreshed = await app.inject({ url: '/api/customers/segments', headers: { 'if-none-match': etag } });
  t.equal(refreshed.statusCode, 200, 'a refresh changes the ETag');
  t.not(refreshed.headers.etag, etag);

  const [run] = await sql`
    insert into salesdash_internal.model_runs (reference_date, horizon_days, backend, seed, metrics, artifact, is_current)
    values ('2018-06-12', 30, 'wasm', 1, '{"accuracy": 1}', '{}', true) returning id`;
  const trained = await app.inject({ url: '/api/customers/segments', headers: { 'if-none-match': refreshed.headers.etag as string } });
  t.equal(trained.statusCode, 200, 'a new current model changes the ETag');
  t.match(trained.headers.etag, new RegExp(`-${run!.id}"$`));

  const details = await app.inject('/api/customers/p01/details');
  t.notOk(details.headers.etag, 'details are not ETag-cached (an import changes the history without a refresh)');
  t.equal(details.headers['cache-control'], 'no-cache');
});

t.test('CORS: no CORS headers by default; only the origins listed in CORS_ORIGIN', async (t) => {
  const same = await testApi(t, { fixture: false, refresh: false });
  const plain = await same.app.inject({ url: '/healthz', headers: { origin: 'https://evil.example' } });
  t.notOk(plain.headers['access-control-allow-origin'], 'default: same origin only');

  const listed = await testApi(t, { fixture: false, refresh: false, app: { corsOrigin: 'https://bi.example, http://localhost:5173' } });
  const allowed = await listed.app.inject({ url: '/healthz', headers: { origin: 'http://localhost:5173' } });
  t.equal(allowed.headers['access-control-allow-origin'], 'http://localhost:5173');
  t.match(allowed.headers['access-control-expose-headers'], /ETag/);
  const other = await listed.app.inject({ url: '/healthz', headers: { origin: 'https://evil.example' } });
  t.notOk(other.headers['access-control-allow-origin'], 'an origin not listed gets no CORS header');
  const preflight = await listed.app.inject({
    method: 'OPTIONS',
    url: '/api/customers/rfm',
    headers: { origin: 'https://bi.example', 'access-control-request-method': 'GET' },
  });
  t.equal(preflight.statusCode, 204);
  t.equal(preflight.headers['access-control-allow-origin'], 'https://bi.example');
});

t.test('the built dashboard is served at / next to the API', async (t) => {
  const webDir = mkdtempSync(path.join(os.tmpdir(), 'salesdash-api-web-'));
  writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>salesdash</title>');
  writeFileSync(path.join(webDir, 'main-ABC.js'), 'console.log(1)');
  const { app } = await testApi(t, { fixture: false, refresh: false, app: { webDir } });
  const index = await app.inject('/');
  t.equal(index.statusCode, 200);
  t.match(index.headers['content-type'], /text\/html/);
  t.equal(index.body, '<!doctype html><title>salesdash</title>');
  t.equal((await app.inject('/main-ABC.js')).statusCode, 200);
  const missing = await app.inject('/main-XYZ.js');
  t.equal(missing.statusCode, 404);
  t.same(missing.json(), { error: 'Not found' });
});

t.test('another method on a path that exists is 405 naming what it answers; on one that does not, 404', async (t) => {
  const { app } = await testApi(t);
  for (const [method, url, path] of [
    ['POST', '/api/customers/segments', '/api/customers/segments'],
    ['DELETE', '/api/customers/rfm?segment=Lost', '/api/customers/rfm'],
    ['PUT', '/api/customers/c1/details', '/api/customers/c1/details'],
  ] as const) {
    const res = await app.inject({ method, url });
    t.equal(res.statusCode, 405, `${method} ${url}`);
    t.equal(res.headers.allow, 'GET, HEAD', `${method} ${url}: Allow`);
    t.same(res.json(), { error: `${method} not allowed: ${path} answers GET and HEAD` }, `${method} ${url}`);
  }
  const unknown = await app.inject({ method: 'POST', url: '/api/nothing-here' });
  t.equal(unknown.statusCode, 404);
  t.same(unknown.json(), { error: 'Not found' });
  t.equal((await app.inject({ method: 'HEAD', url: '/api/customers/segments' })).statusCode, 200, 'HEAD is answered');
});
