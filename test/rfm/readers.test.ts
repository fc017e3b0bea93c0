// Readers are never blocked by refreshes, and the two roles can do exactly what they should.
import t from 'tap';
import postgres from 'postgres';
import { testDatabase } from '../helpers/db.ts';
import { loadHandFixture } from './fixture.ts';
import { refreshRfm } from '../../jobs/rfm/refresh.ts';

/** Runs `work` in a transaction on its own connection and keeps it open (locks held) while `check` runs. */
async function whileUncommitted(url: string, work: (tx: postgres.TransactionSql) => Promise<unknown>, check: () => Promise<void>) {
  const holder = postgres(url, { max: 1, onnotice: () => {} });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let ready!: () => void;
  const inside = new Promise<void>((resolve) => (ready = resolve));
  const transaction = holder.begin(async (tx) => {
    await work(tx);
    ready();
    await released;
  });
  try {
    await Promise.race([inside, transaction]);
    await check();
  } finally {
    release();
    await transaction;
    await holder.end();
  }
}

/** The hand fixture, refreshed, and a reader connection that gives up (and fails the test) after 3 s waiting. */
async function refreshedShopWithReader(t: Parameters<typeof testDatabase>[0], asOf?: string) {
  const { sql, url } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql, asOf);
  const reader = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(() => reader.end());
  await reader`set statement_timeout = '3s'`;
  return { sql, url, reader };
}

t.test('REFRESH MATERIALIZED VIEW CONCURRENTLY does not block selects on rfm_scores', async (t) => {
  const { url, reader } = await refreshedShopWithReader(t);
  await whileUncommitted(url, (tx) => tx`refresh materialized view concurrently salesdash.rfm_scores`, async () => {
    const [scores] = await reader`select count(*)::int as n from salesdash.rfm_scores`;
    t.equal(scores!.n, 3, 'rfm_scores answers while a concurrent refresh is uncommitted');
  });
});

t.test('refresh_rfm() never blocks what the API reads, and readers see the old snapshot until it commits', async (t) => {
  const { url, reader } = await refreshedShopWithReader(t, '2024-02-15');
  await whileUncommitted(url, (tx) => tx`select salesdash.refresh_rfm()`, async () => {
    const page = await reader`select customer_id from api.rfm_page(null, 'monetary', true, 1, 10)`;
    t.same(page.map((r) => r.customer_id), ['bob', 'alice'], 'the list answers with the previous refresh');
    const [summary] = await reader`select sum(customers)::int as n from salesdash.segment_summary`;
    t.equal(summary!.n, 2);
  });
  const [after] = await reader`select sum(customers)::int as n from salesdash.segment_summary`;
  t.equal(after!.n, 3, 'the new figures appear at commit');
});

/** A repeatable-read reader: its snapshot is taken by its first statement and kept until end(). */
async function repeatableReader(url: string) {
  const reader = postgres(url, { max: 1, onnotice: () => {} });
  const pending: { statement: string; resolve: (rows: any[]) => void; reject: (e: unknown) => void }[] = [];
  let ended = false;
  let wake: () => void = () => {};
  const transaction = reader.begin('isolation level repeatable read', async (tx) => {
    while (!ended || pending.length) {
      if (!pending.length) await new Promise<void>((resolve) => (wake = resolve));
      for (let q = pending.shift(); q; q = pending.shift()) {
        try { q.resolve([...(await tx.unsafe(q.statement))]); } catch (e) { q.reject(e); }
      }
    }
  });
  let closing: Promise<void> | undefined;
  return {
    query: (statement: string) => new Promise<any[]>((resolve, reject) => { pending.push({ statement, resolve, reject }); wake(); }),
    end: () => (closing ??= (async () => { ended = true; wake(); await transaction; await reader.end(); })()),
  };
}

/** Everything a reader can see of one publication, in one snapshot. */
const publicationSeen = `
  select (select customers from salesdash.rfm_refresh_status) as published,
         (select reference_date::text from salesdash.rfm_refresh_status) as reference_date,
         (select count(*) from salesdash.rfm_list)::int as listed,
         (select count(*) from salesdash.rfm_scores_current)::int as current,
         (select sum(customers) from salesdash.segment_summary)::int as summed,
         (select count(*) from api.rfm_page(null, 'recency', false, 1, 1000))::int as paged,
         (select string_agg(customer_id || ':' || frequency || ':' || recency, ',' order by customer_id) from salesdash.rfm_list) as rows`;

t.test('a repeatable-read reader whose snapshot predates a publish reads the old generation in full, across several refreshes', async (t) => {
  const { sql, url } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql, '2024-02-15');
  const reader = await repeatableReader(url);
  t.teardown(() => reader.end());
  const [before] = await reader.query(publicationSeen);
  t.same({ ...before, rows: undefined }, { published: 2, reference_date: '2024-02-15', listed: 2, current: 2, summed: 2, paged: 2, rows: undefined });

  // A rewrite (another as-of date), then a change of a few orders (bob buys again), then a rules edit: the
  // old generation is superseded three times while the reader's snapshot stays where it was.
  await refreshRfm(sql);
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('o7', 'b1', 'delivered', '2024-03-12 08:00')`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('o7', 1, 30, 1.5)`;
  await refreshRfm(sql);
  await sql`update salesdash.rfm_segment_rules set segment = 'Gone' where segment = 'Lost'`;
  await refreshRfm(sql);
  const [again] = await reader.query(publicationSeen);
  t.same(again, before, 'the same figures, in full, from the same snapshot');

  await reader.end();
  const [now] = await sql.unsafe(publicationSeen);
  t.same({ ...now, rows: undefined }, { published: 3, reference_date: '2024-03-12', listed: 3, current: 3, summed: 3, paged: 3, rows: undefined },
    'a new snapshot reads the newest generation');
  t.match(now!.rows, /bob:2:0/, 'with bob\'s new order');
});

t.test('a reader holding the list open (a slow CSV export) delays no refresh and no other reader', async (t) => {
  const { sql, url, reader } = await refreshedShopWithReader(t);
  const generations = async () => (await sql`select count(*)::int as n from salesdash_internal.rfm_generations`)[0]!.n;
  // The export's transaction has read the list and keeps its locks and its snapshot.
  await whileUncommitted(url, (tx) => tx`select count(*) from salesdash.rfm_list`, async () => {
    for (let i = 0; i < 3; i++) {
      const result = await refreshRfm(sql, i % 2 ? '2024-02-15' : undefined);
      t.equal(result.steps.find((s) => s.step === 'drop old generations')?.rows, 0, `refresh ${i + 1} completes and leaves the export's generation alone`);
      const [listed] = await reader`select count(*)::int as n from salesdash.rfm_list`;
      t.equal(listed!.n, result.customers, 'another reader answers at once with the new figures');
    }
    t.ok((await generations()) >= 4, 'generations are kept while the export may still read them');
  });
  await refreshRfm(sql);
  t.equal(await generations(), 2, 'the next refresh after the export ended drops what nobody can read');
});

t.test('an export in progress holds back only the generations its snapshot may read', async (t) => {
  const { sql, url } = await testDatabase(t);
  await loadHandFixture(sql);
  for (let i = 0; i < 3; i++) await refreshRfm(sql, i % 2 ? '2024-02-15' : undefined);
  const generations = async () => (await sql`select array_agg(generation order by generation) as g from salesdash_internal.rfm_generations`)[0]!.g as number[];
  t.same(await generations(), [2, 3], 'the published generation and the one before it');
  // A snapshot's xmin is the oldest transaction running anywhere in the cluster, so another test file's open
  // transaction can make the export's snapshot look as if it might still read generation 2 (and it is rightly
  // kept). Start the export once everything older than the publish that superseded generation 2 has ended.
  for (let waited = 0; ; waited += 50) {
    const [row] = await sql`select pg_snapshot_xmin(pg_current_snapshot()) > g.superseded_by_xid as newer
                            from salesdash_internal.rfm_generations g where g.generation = 2`;
    if (row!.newer) break;
    if (waited > 120_000) throw new Error("a transaction older than generation 3's publish stayed open for two minutes");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // A repeatable-read export of generation 3: api.rfm_export reads its partition, not rfm_customers, so it
  // locks nothing a refresh needs to drop another generation.
  await whileUncommitted(url, async (tx) => {
    await tx`set transaction isolation level repeatable read`;
    await tx`select count(*) from api.rfm_export(null, 'monetary', true)`;
  }, async () => {
    await refreshRfm(sql);
    t.same(await generations(), [3, 4], 'generation 2, superseded before the export began, is dropped while it runs');
    await refreshRfm(sql, '2024-02-15');
    t.same(await generations(), [3, 4, 5], 'generation 3, which the export reads, is kept');
  });
  await refreshRfm(sql);
  t.same(await generations(), [5, 6], 'after the export, what nobody can read is dropped');
});

t.test('pages read only the published partition, so they do not wait while a refresh drops an old generation', async (t) => {
  const { sql, url, reader } = await refreshedShopWithReader(t);
  await refreshRfm(sql, '2024-02-15');
  const [old] = await sql`select g.generation from salesdash_internal.rfm_generations g
                          where g.generation <> (select generation from salesdash_internal.rfm_publication)`;
  t.ok(old, 'the generation just superseded is still there');
  // What the drop step does and holds until the refresh commits: ACCESS EXCLUSIVE on rfm_customers.
  await whileUncommitted(url, (tx) => tx`drop table ${tx('salesdash_internal')}.${tx('rfm_customers_g' + old!.generation)}`, async () => {
    const page = await reader`select customer_id, recency from api.rfm_page(null, 'recency', false, 1, 10)`;
    t.same(page.map((r) => [r.customer_id, r.recency]), [['bob', 14], ['alice', 36]], 'a page answers at once');
    await reader`set statement_timeout = '300ms'`;
    await t.rejects(reader`select count(*) from salesdash.rfm_scores_current`, { code: '57014' },
      'a query on rfm_customers waits for the drop (here: until the statement timeout)');
    await reader`set statement_timeout = '3s'`;
  });
});

t.test('rfm_scores_current answers while rfm_scores is held by its plain refresh', async (t) => {
  const { sql, url, reader } = await refreshedShopWithReader(t, '2024-02-15');
  // refresh_rfm() ends with this plain refresh; here it is held open so the readers' waits show.
  await whileUncommitted(url, (tx) => tx`refresh materialized view salesdash.rfm_scores`, async () => {
    const current = await reader`select customer_id, recency_days from salesdash.rfm_scores_current order by customer_id`;
    t.same(current.map((r) => [r.customer_id, r.recency_days]), [['alice', 36], ['bob', 14]], 'answers without waiting');
    await reader`set statement_timeout = '300ms'`;
    await t.rejects(reader`select count(*) from salesdash.rfm_scores`, { code: '57014' },
      'rfm_scores itself waits for the plain refresh (here: until the statement timeout)');
    await reader`set statement_timeout = '3s'`;
  });
  await refreshRfm(sql);
  const [scores] = await reader`select array_agg(r::text order by customer_id) as rows from salesdash.rfm_scores r`;
  const [current] = await reader`select array_agg(c::text order by customer_id) as rows from salesdash.rfm_scores_current c`;
  t.equal(current!.rows.length, 3, 'after the next refresh: its figures');
  t.same(current!.rows, scores!.rows, 'row for row what rfm_scores holds');
});

t.test('readers keep getting consistent answers while refreshes run back to back', async (t) => {
  const { sql, url } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  const reader = postgres(url, { max: 2, onnotice: () => {} });
  t.teardown(() => reader.end());
  let refreshing = true;
  const failures: string[] = [];
  let reads = 0;
  const readLoop = (async () => {
    while (refreshing) {
      try {
        // One statement = one snapshot: the list, the segment counts and the status come from one refresh.
        const [row] = await reader`
          select (select count(*) from salesdash.rfm_list)::int as listed,
                 (select count(*) from salesdash.rfm_scores_current)::int as current,
                 (select sum(customers) from salesdash.segment_summary)::int as summed,
                 (select customers from salesdash.rfm_refresh_status) as published,
                 (select count(*) from api.rfm_page(null, 'recency', false, 1, 100))::int as paged`;
        if (!(row!.listed === row!.summed && row!.summed === row!.published && row!.paged === row!.published &&
              row!.current === row!.published)) {
          failures.push(`inconsistent snapshot ${JSON.stringify(row)}`);
        }
        reads++;
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  })();
  for (let i = 0; i < 6; i++) await refreshRfm(sql, i % 2 ? '2024-02-15' : undefined);
  refreshing = false;
  await readLoop;
  t.same(failures, [], 'no failed or inconsistent read');
  t.ok(reads > 6, `reads went on during the refreshes (${reads})`);
});

t.test('refresh_rfm(refresh_concurrently => true) does not block BI selects on rfm_scores either', async (t) => {
  const { url, reader } = await refreshedShopWithReader(t);
  await whileUncommitted(url, (tx) => tx`select salesdash.refresh_rfm('2024-02-15', refresh_concurrently => true)`, async () => {
    const [scores] = await reader`select count(*)::int as n from salesdash.rfm_scores`;
    t.equal(scores!.n, 3);
  });
});

t.test('two refreshes at once: the second waits for the first, neither fails', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  const results = await Promise.all([refreshRfm(sql), refreshRfm(sql), refreshRfm(sql, '2024-02-15')]);
  t.same(results.map((r) => r.customers).sort(), [2, 3, 3]);
  const [published] = await sql`select customers from salesdash.rfm_refresh_status`;
  const [rows] = await sql`select count(*)::int as n from salesdash.rfm_list`;
  t.equal(rows!.n, published!.customers, 'the published list matches the published status');
});

t.test('the reader role reads the exposed views and nothing else', async (t) => {
  const { sql, url } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  const reader = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(() => reader.end());
  const as = async <T>(fn: (tx: postgres.TransactionSql) => Promise<T>) =>
    reader.begin(async (tx) => {
      await tx`set local role salesdash_reader`;
      // The role's search_path is set per database for its own logins; SET ROLE keeps the session's.
      await tx`set local search_path = salesdash`;
      return fn(tx);
    });

  const [row] = await as((tx) => tx`select count(*)::int as n from rfm_scores`);
  t.equal(row!.n, 3, 'rfm_scores by its plain name');
  const [current] = await as((tx) => tx`select count(*)::int as n from rfm_scores_current`);
  t.equal(current!.n, 3, 'rfm_scores_current by its plain name');
  const [segments] = await as((tx) => tx`select count(*)::int as n from segment_summary`);
  t.equal(segments!.n, 11);
  const [predictions] = await as((tx) => tx`select count(*)::int as n from predictions`);
  t.equal(predictions!.n, 0, 'predictions by its plain name');
  const [setting] = await sql`
    select array_to_string(setconfig, ',') as config from pg_db_role_setting s
    join pg_roles r on r.oid = s.setrole join pg_database d on d.oid = s.setdatabase
    where r.rolname = 'salesdash_reader' and d.datname = current_database()`;
  t.equal(setting!.config, 'search_path=salesdash', 'logins as the reader find the views by plain names');

  const denied = [
    ['read raw tables (personal columns)', 'select customer_city from raw.customers', '42501'],
    ['read internal tables', 'select * from salesdash_internal.rfm_publication', '42501'],
    ['insert', "insert into salesdash.rfm_segment_rules values ('X', 1, 1, 1, 1, 99)", '42501'],
    ['update', "update salesdash.rfm_segment_rules set display_order = 0", '42501'],
    ['delete', 'delete from salesdash.predictions', '42501'],
    ['create a table', 'create table salesdash.mine (x int)', '42501'],
    ['create in public', 'create table public.mine (x int)', '42501'],
    ['refresh', 'select salesdash.refresh_rfm()', '42501'],
    ['refresh the materialized view', 'refresh materialized view salesdash.rfm_scores', '42501'],
    ['take the refreshes\' turn', 'lock table salesdash_internal.refresh_turn in exclusive mode', '42501'],
  ] as const;
  for (const [what, statement, code] of denied) {
    await t.rejects(as((tx) => tx.unsafe(statement)), { code }, `reader cannot ${what}`);
  }

  // Any login may take advisory locks; one held by the reader under the key refreshes once used holds nothing back.
  await whileUncommitted(url, async (tx) => {
    await tx`set local role salesdash_reader`;
    await tx`select pg_advisory_xact_lock(hashtext('salesdash.refresh_rfm'))`;
  }, async () => {
    const waited = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the refresh waited 10 s for the reader')), 10_000).unref());
    const refreshed = await Promise.race([refreshRfm(sql), waited]);
    t.equal(refreshed.customers, 3, 'a refresh runs while the reader holds an advisory lock');
  });
});

t.test('the API role reads the marts and the api schema, and nothing else', async (t) => {
  const { sql, url } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  const api = postgres(url, { max: 1, onnotice: () => {}, connection: { role: 'salesdash_api' } });
  t.teardown(() => api.end());
  const [who] = await api`select current_user as role`;
  t.equal(who!.role, 'salesdash_api');
  const [listed] = await api`select count(*)::int as n from salesdash.rfm_list`;
  t.equal(listed!.n, 3, 'reads the marts');
  const page = await api`select customer_id from api.rfm_page(null, 'monetary', true, 1, 10)`;
  t.same(page.map((r) => r.customer_id), ['alice', 'bob', 'carol'], 'pages through api.rfm_page');
  const [orders] = await api`select count(*)::int as n from api.customer_orders where customer_id = 'alice'`;
  t.equal(orders!.n, 2, 'reads a customer\'s orders through the api views');
  const denied = [
    ['read raw tables', "select customer_city from raw.customers where customer_id = 'a1'"],
    ['read internal tables', 'select * from salesdash_internal.rfm_publication'],
    ['read the staging views', 'select * from salesdash_internal.stg_orders'],
    ['read the model artifacts', 'select artifact from salesdash_internal.model_runs'],
    ['refresh', 'select salesdash.refresh_rfm()'],
    ['refresh the materialized view', 'refresh materialized view salesdash.rfm_scores'],
    ['insert raw orders', "insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('x', 'a1', 'delivered', now())"],
    ['delete predictions', 'delete from salesdash.predictions'],
    ['edit segment rules', "update salesdash.rfm_segment_rules set display_order = 0"],
    ['create tables', 'create table salesdash.mine (x int)'],
    ['create tables in api', 'create table api.mine (x int)'],
    ['drop views', 'drop view salesdash.segment_summary'],
    ['alter tables', 'alter table raw.orders add column x int'],
  ] as const;
  for (const [what, statement] of denied) {
    await t.rejects(api.unsafe(statement), { code: '42501' }, `API role cannot ${what}`);
  }
});

t.test('a refresh that cannot publish gives up after 10 s with one clear error, and publishes nothing', async (t) => {
  const { sql, url } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql, '2024-02-15');
  const [before] = await sql`select reference_date::text, customers from salesdash.rfm_refresh_status`;
  // A session that keeps the publication row locked (a DBA's stray LOCK, say): readers still read it.
  await whileUncommitted(url, (tx) => tx`lock table salesdash_internal.rfm_publication in exclusive mode`, async () => {
    const started = Date.now();
    await t.rejects(refreshRfm(sql), { code: '55P03', message: /^refresh_rfm could not publish: .* for 00:00:10 \(nothing was published\)$/ });
    const waited = (Date.now() - started) / 1000;
    t.ok(waited >= 10, `it waited its 10 s before giving up (${waited.toFixed(1)} s)`);
  });
  const [after] = await sql`select reference_date::text, customers from salesdash.rfm_refresh_status`;
  t.same({ ...after }, { ...before }, 'the previous refresh is still the published one');
  t.equal((await refreshRfm(sql)).customers, 3, 'once the lock is gone, the next refresh publishes');
});

t.test('money in the BI views is numeric, so sums come out in exact cents', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  const money = [
    ['rfm_scores', 'monetary'], ['rfm_scores_current', 'monetary'], ['rfm_list', 'monetary'], ['rfm_list', 'expected_revenue'],
    ['segment_summary', 'revenue'], ['segment_summary', 'expected_revenue'], ['monthly_activity', 'revenue'],
    ['shop_forecast', 'expected_revenue'], ['predictions', 'expected_revenue'],
  ];
  // pg_attribute rather than information_schema, which leaves materialized views (rfm_scores) out.
  const types = await sql<{ name: string; type: string }[]>`
    select c.relname || '.' || a.attname as name, format_type(a.atttypid, a.atttypmod) as type
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    where c.relnamespace = 'salesdash'::regnamespace and c.relname || '.' || a.attname in ${sql(money.map(([table, column]) => `${table}.${column}`))}`;
  t.equal(types.length, money.length, 'every money column found');
  for (const c of types) t.match(c.type, /^numeric\(1[46],2\)$/, c.name);
  const [sums] = await sql`
    select (select sum(revenue) from salesdash.monthly_activity)::text as months,
           (select sum(revenue) from salesdash.segment_summary)::text as segments,
           (select sum(monetary) from salesdash.rfm_scores)::text as customers`;
  t.same({ ...sums }, { months: sums!.customers, segments: sums!.customers, customers: sums!.customers }, 'the same cents three ways');
});
