// The API contract (contract/api.ts) against reality. Every response a route sends for the fixture shop, a
// trained model and a database that fails must be valid under the schema the route publishes at /docs/json,
// made exact: objects without an explicit additionalProperties are closed and every listed field is
// required. A 200 body must also equal what the route's named query returned, because fast-json-stringify
// serialises from the schema and silently drops a field the contract does not list. So a field a query adds
// without the contract, or one the contract lists that the query does not send, fails here. Every status
// code the document declares for every route must be exercised at least once.
import t, { type Test } from 'tap';
import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Compile } from 'typebox/compile';
import { buildApp } from '../../http/app.ts';
import { connectApiPool } from '../../db/api-pool.ts';
import { API_ROLE, type Sql } from '../../db/connection.ts';
import { customerDetails } from '../../http/queries/customer-details.ts';
import { health } from '../../http/queries/health.ts';
import { modelMetrics } from '../../http/queries/model-metrics.ts';
import { rfmPage } from '../../http/queries/rfm-page.ts';
import { segmentMovement, snapshots } from '../../http/queries/movement.ts';
import { monthlyHistory } from '../../jobs/rfm/history.ts';
import { segmentOverview } from '../../http/queries/segment-overview.ts';
import { train } from '../../jobs/train/train.ts';
import { testDatabase } from '../helpers/db.ts';
import { insertOrders, simulatedOrders } from '../ml/fixtures.ts';
import { testApi } from './app.ts';

interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
}

/**
 * The published schema as plain JSON Schema, exact: OpenAPI 3.0's `nullable: true` becomes "or null",
 * objects that do not say otherwise are closed, and every field an object lists is required.
 */
function exact(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(exact);
  if (typeof schema !== 'object' || schema === null) return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as object).map(([name, field]) => [name, exact(field)]));
    } else {
      out[key] = key === 'enum' || key === 'required' || key === 'default' ? value : exact(value);
    }
  }
  if (out.properties) {
    out.required = Object.keys(out.properties);
    out.additionalProperties ??= false;
  }
  return nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

/** Checks responses against /docs/json and remembers which documented (route, status) pairs were seen. */
async function contractChecker(app: FastifyInstance) {
  const document = (await app.inject('/docs/json')).json() as OpenApi;
  const routes = Object.keys(document.paths).map((path) => ({
    path,
    pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const seen = new Set<string>();

  return {
    document,
    seen,
    /** Requests `url`, expects `status`, checks the body against the route's schema for that status. */
    async check(t: Test, target: FastifyInstance, url: string, status: number, headers: Record<string, string> = {}) {
      const res = await target.inject({ url, headers });
      t.equal(res.statusCode, status, `${url} answers ${status}`);
      const path = routes.find((r) => r.pattern.test(url.split('?')[0]!))?.path;
      const declared = path ? document.paths[path]?.get?.responses[String(res.statusCode)] : undefined;
      if (!path || !declared) {
        t.fail(`${url}: status ${res.statusCode} is not in the OpenAPI document`);
        return res;
      }
      seen.add(`${path} ${res.statusCode}`);
      if (res.statusCode === 304) {
        t.equal(res.body, '', `${url}: 304 has no body`);
        return res;
      }
      const [type, media] = Object.entries(declared.content ?? {})[0] ?? [];
      if (!type || !media) {
        t.fail(`${url}: status ${res.statusCode} documents no body`);
        return res;
      }
      t.match(res.headers['content-type'], type, `${url}: ${type}`);
      const body: unknown = type === 'application/json' ? res.json() : res.body;
      const validator = Compile(exact(media.schema) as Parameters<typeof Compile>[0]);
      const errors = [...validator.Errors(body)].map((e) => `${e.instancePath || '/'} ${e.message}`);
      t.same(errors, [], `${url} ${res.statusCode}: the body is exactly the published shape`);
      return res;
    },
  };
}

/** The body fast-json-stringify would send if it kept every field: the query's value as plain JSON. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

t.test('every response matches the published contract, and 200 bodies are the named query results', async (t) => {
  const { app, apiSql, sql } = await testApi(t);
  const contract = await contractChecker(app);
  // A prediction of a model that is no longer current: the profile shows it, nothing else counts it.
  const [run] = await sql`
    insert into salesdash_internal.model_runs (reference_date, horizon_days, backend, seed, metrics, artifact)
    values ('2018-06-12', 30, 'wasm', 1, '{}', '{}') returning id`;
  await sql`
    insert into salesdash.predictions
      (customer_id, purchase_probability, predicted_label, confidence, prediction_date, model_run_id, expected_orders, expected_revenue)
    values ('p03', 0.75, true, 0.8, '2018-06-12', ${run!.id}, 1.5, 42.25)`;

  await t.test('fixture shop, refreshed, one prediction, no model', async (t) => {
    const segments = await contract.check(t, app, '/api/customers/segments', 200);
    t.strictSame(segments.json(), asJson(await segmentOverview(apiSql)));
    t.equal(segments.json().forecast, null, 'forecast null was checked');
    t.equal(segments.json().segment_details[0].expected_revenue, null, 'a segment\'s expected_revenue null was checked');

    const byForecast = await contract.check(t, app, '/api/customers/rfm?sort_by=expected_revenue&limit=3', 200);
    const forecastRows = await rfmPage(apiSql, { segment: null, sortBy: 'expected_revenue', descending: true, page: 1, limit: 3 });
    t.strictSame(byForecast.json(), asJson({ ...forecastRows, page: 1, limit: 3 }));
    t.equal(byForecast.json().data[0].expected_revenue, 42.25, 'a row with expected_revenue was checked');
    t.equal(byForecast.json().data[1].expected_revenue, null, 'a row without was checked');

    const page = await contract.check(t, app, '/api/customers/rfm?sort_by=recency&order=asc&limit=5&page=2', 200);
    const rows = await rfmPage(apiSql, { segment: null, sortBy: 'recency', descending: false, page: 2, limit: 5 });
    t.strictSame(page.json(), asJson({ ...rows, page: 2, limit: 5 }));
    t.equal(page.json().data.length, 5, 'a full page of rows, each checked');

    for (const id of ['p03', 'o-p01-1', 'p13']) {
      const details = await contract.check(t, app, `/api/customers/${id}/details`, 200);
      t.strictSame(details.json(), asJson(await customerDetails(apiSql, id)), `${id}: the query's profile`);
    }
    t.not((await app.inject('/api/customers/p03/details')).json().prediction, null, 'a prediction was checked');
    t.equal((await app.inject('/api/customers/p13/details')).json().rfm, null, 'rfm null was checked');

    const healthz = await contract.check(t, app, '/healthz', 200);
    t.strictSame(healthz.json(), { status: 'ok', ...(await health(apiSql)) });

    await contract.check(t, app, '/api/customers/rfm.csv?segment=', 200);
    await contract.check(t, app, '/api/model/metrics', 503);
    await contract.check(t, app, '/api/customers/nobody/details', 404);
    await contract.check(t, app, '/api/customers/rfm?limit=0', 400);
    await contract.check(t, app, '/api/customers/rfm.csv?order=up', 400);
    await contract.check(t, app, '/api/customers/%01/details', 400);

    // Only one snapshot (the refresh's) so far: no movement yet.
    await contract.check(t, app, '/api/segments/movement', 404);
    await monthlyHistory(sql, null);
    const snapshotList = await contract.check(t, app, '/api/snapshots', 200);
    t.strictSame(snapshotList.json(), asJson({ snapshots: (await snapshots(apiSql)).map(({ segments: _, ...s }) => s) }));
    const movement = await contract.check(t, app, '/api/segments/movement?from=2018-04-30&to=2018-06-12', 200);
    t.strictSame(movement.json().cells, asJson(await segmentMovement(apiSql, '2018-04-30', '2018-06-12')));
    t.ok(movement.json().cells.length > 3, 'several cells checked');
    await contract.check(t, app, '/api/segments/movement?from=2018-04-29', 400);
    const movers = await contract.check(t, app, '/api/customers/rfm?moved_from=(none)&since=2018-04-30&limit=3', 200);
    const moverRows = await rfmPage(apiSql, { segment: null, sortBy: 'monetary', descending: true, page: 1, limit: 3, movement: { movedFrom: '(none)', since: '2018-04-30' } });
    t.strictSame(movers.json(), asJson({ ...moverRows, page: 1, limit: 3 }));
    const moversByForecast = await contract.check(t, app, '/api/customers/rfm?moved_from=(none)&since=2018-04-30&sort_by=expected_revenue&limit=3', 200);
    const moverForecastRows = await rfmPage(apiSql, { segment: null, sortBy: 'expected_revenue', descending: true, page: 1, limit: 3, movement: { movedFrom: '(none)', since: '2018-04-30' } });
    t.strictSame(moversByForecast.json(), asJson({ ...moverForecastRows, page: 1, limit: 3 }));

    const etag = (await app.inject('/api/customers/segments')).headers.etag as string;
    for (const url of ['/api/customers/segments', '/api/customers/rfm', '/api/customers/rfm.csv', '/api/snapshots', '/api/segments/movement']) {
      await contract.check(t, app, url, 304, { 'if-none-match': etag });
    }
  });

  await t.test('a database that was never refreshed: the nullable fields are null', async (t) => {
    const empty = await testApi(t, { refresh: false });
    const segments = await contract.check(t, empty.app, '/api/customers/segments', 200);
    t.equal(segments.json().last_updated, null);
    t.same(segments.json().data_range, { first_purchase: null, last_purchase: null });
    t.strictSame(segments.json(), asJson(await segmentOverview(empty.apiSql)));
    const details = await contract.check(t, empty.app, '/api/customers/p01/details', 200);
    t.equal(details.json().rfm, null);
  });

  await t.test('a trained model: the metrics exactly as the training run stored them', async (t) => {
    const trained = await trainedApi(t);
    const metrics = await contract.check(t, trained.app, '/api/model/metrics', 200);
    t.strictSame(metrics.json(), asJson(await modelMetrics(trained.apiSql)));
    await contract.check(t, trained.app, '/api/model/metrics', 304, { 'if-none-match': metrics.headers.etag as string });
    const [{ customer_id: scored }] = await trained.sql<{ customer_id: string }[]>`select customer_id from salesdash.predictions limit 1`;
    const details = await contract.check(t, trained.app, `/api/customers/${encodeURIComponent(scored!)}/details`, 200);
    t.strictSame(details.json(), asJson(await customerDetails(trained.apiSql, scored!)));
    t.not(details.json().prediction, null, 'a prediction from the model was checked');
    const segments = await contract.check(t, trained.app, '/api/customers/segments', 200);
    t.strictSame(segments.json(), asJson(await segmentOverview(trained.apiSql)));
    t.not(segments.json().forecast, null, 'a forecast was checked');
    t.ok(segments.json().segment_details.every((d: { expected_revenue: unknown }) => typeof d.expected_revenue === 'number'), 'segments\' expected revenue was checked');
    const page = await contract.check(t, trained.app, '/api/customers/rfm?sort_by=expected_revenue&limit=5', 200);
    t.strictSame(page.json(), asJson({ ...(await rfmPage(trained.apiSql, { segment: null, sortBy: 'expected_revenue', descending: true, page: 1, limit: 5 })), page: 1, limit: 5 }));
  });

  await t.test('the export budget taken: 503 with Retry-After', async (t) => {
    const busy = await testApi(t, { app: { exports: { max: 1 } } });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // The one export slot waits on a lock the test holds on the published partition, which only the
    // export's COPY reads (the routes' ETag reads the refresh status).
    const [{ partition }] = await busy.sql<{ partition: string }[]>`
      select 'rfm_customers_g' || generation as partition from salesdash_internal.rfm_publication`;
    const holder = busy.sql.begin(async (tx) => {
      await tx`lock table ${tx('salesdash_internal')}.${tx(partition!)} in access exclusive mode`;
      locked();
      await held;
    });
    await isLocked;
    const first = busy.app.inject('/api/customers/rfm.csv');
    for (let waited = 0; ; waited += 50) {
      const [waiting] = await busy.sql`select count(*)::int as n from pg_stat_activity
                                       where application_name = 'salesdash-export' and wait_event_type = 'Lock'`;
      if (waiting!.n > 0 || waited > 10_000) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const refused = await contract.check(t, busy.app, '/api/customers/rfm.csv', 503);
    t.ok(Number(refused.headers['retry-after']) > 0, 'Retry-After says when to come back');
    release();
    await holder;
    t.equal((await first).statusCode, 200, 'the export holding the slot finishes');
  });

  await t.test('PostgreSQL unreachable: 500 and 503 bodies', async (t) => {
    const down = await unreachableApi(t);
    for (const url of ['/api/customers/segments', '/api/customers/rfm', '/api/customers/rfm.csv', '/api/customers/p01/details', '/api/model/metrics', '/api/snapshots', '/api/segments/movement']) {
      await contract.check(t, down, url, 500);
    }
    await contract.check(t, down, '/healthz', 503);
  });

  const documented = Object.entries(contract.document.paths).flatMap(([path, methods]) =>
    Object.keys(methods.get?.responses ?? {}).map((status) => `${path} ${status}`),
  );
  t.ok(documented.length > 20, `${documented.length} documented responses`);
  t.same(documented.filter((r) => !contract.seen.has(r)), [], 'every documented response of every route was checked');
});

/** The API over a small simulated shop with a model trained on it (a couple of seconds). */
async function trainedApi(t: Test): Promise<{ app: FastifyInstance; apiSql: Sql; sql: Sql }> {
  const { sql, url } = await testDatabase(t);
  // 3,000 people: a model is published only when it beats recency, which a few hundred cannot show.
  await insertOrders(sql, simulatedOrders(3000, 3));
  await sql`select salesdash.refresh_rfm()`;
  await train(sql, { seed: 7, trainingWindows: 4, network: { maxEpochs: 8, patience: 3 } });
  const apiSql = connectApiPool(url, { max: 2, role: API_ROLE });
  const app = await buildApp({ sql: apiSql, exports: { databaseUrl: url, role: API_ROLE } });
  t.teardown(async () => {
    await app.close();
    await apiSql.end({ timeout: 1 });
  });
  return { app, apiSql, sql };
}

/** The API with a pool pointed at a port nothing listens on: every database call fails to connect. */
async function unreachableApi(t: Test): Promise<FastifyInstance> {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const unreachable = `postgres://salesdash@127.0.0.1:${port}/salesdash`;
  const apiSql = connectApiPool(unreachable, { max: 1 });
  const app = await buildApp({ sql: apiSql, exports: { databaseUrl: unreachable } });
  t.teardown(async () => {
    await app.close();
    await apiSql.end({ timeout: 0 });
  });
  return app;
}
