// A rule renamed is shown once a refresh scores with it: until then the list, its total, the segment filter and
// segment_summary all keep the names the published rows carry, so they never disagree.
import t from 'tap';
import { testApi } from './app.ts';

t.test('a renamed segment shows after the next refresh, and everything agrees meanwhile', async (t) => {
  const { app, sql } = await testApi(t);
  const [biggest] = await sql<{ segment: string; n: number }[]>`
    select segment, count(*)::int as n from salesdash.rfm_scores group by segment order by count(*) desc, segment limit 1`;
  const { segment, n } = biggest!;
  const [{ everyone }] = await sql<{ everyone: number }[]>`select count(*)::int as everyone from salesdash.rfm_scores`;
  await sql`update salesdash.rfm_segment_rules set segment = 'Renamed' where segment = ${segment}`;

  const all = (await app.inject('/api/customers/rfm?limit=1000')).json();
  t.same([all.total, all.data.length], [everyone, everyone], 'the total counts the rows the list shows');
  const old = await app.inject(`/api/customers/rfm?segment=${encodeURIComponent(segment)}&limit=1000`);
  t.equal(old.statusCode, 200, 'the published name still filters');
  t.same([old.json().total, old.json().data.length], [n, n], `all ${n} of its customers`);
  t.equal((await app.inject('/api/customers/rfm?segment=Renamed')).statusCode, 400, 'the new name is not known before a refresh uses it');
  const names = (await sql<{ segment: string }[]>`select segment from salesdash.segment_summary`).map((r) => r.segment);
  t.ok(names.includes(segment) && !names.includes('Renamed'), 'segment_summary keeps the published names');

  await sql`select salesdash.refresh_rfm()`;
  const renamed = await app.inject('/api/customers/rfm?segment=Renamed&limit=1000');
  t.equal(renamed.statusCode, 200, 'after the refresh the new name filters');
  t.same([renamed.json().total, renamed.json().data.length], [n, n], 'the same customers');
  t.equal((await app.inject(`/api/customers/rfm?segment=${encodeURIComponent(segment)}`)).statusCode, 400, 'and the old name is gone');
});
