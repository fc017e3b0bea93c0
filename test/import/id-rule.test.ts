// One id rule for import and API (contract/ids.ts): every customer id the import stores can be opened at
// /api/customers/{id}/details, and an id the import refuses for its length or a control character is one
// the API refuses too. Checked end to end: a real file imported into the real database, then the real app.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { MAX_ID_LENGTH } from '../../contract/ids.ts';
import { importTransactions } from '../../jobs/import/transactions.ts';
import { testApi } from '../api/app.ts';
import { rawSnapshot } from './raw-snapshot.ts';

const runs = Number(process.env.FUZZ_RUNS ?? 60);
const seed = Number(process.env.FUZZ_SEED ?? 20261206);

/** A CSV field holding `text` exactly. */
const csvField = (text: string) => `"${text.replace(/"/g, '""')}"`;

// Characters that stress each layer: CSV (quote, comma, line breaks), URLs (/ % ? # . space), JSON and the
// terminal (controls, DEL, C1, line separator), UTF-16 (an emoji is two units), plus ordinary letters.
const idCharacter = fc.constantFrom(
  'a', 'Z', '7', '-', '_', ' ', '"', ',', '/', '%', '?', '#', '.', '+', '&', 'é', 'ß', '中', '🙂', '\u00a0',
  '\n', '\r', '\t', '\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u2028', '\ufeff',
);
const candidateId = fc.oneof(
  fc.array(idCharacter, { maxLength: 12 }).map((chars) => chars.join('')),
  // Around the limit, in UTF-16 units as the router counts them.
  fc.tuple(fc.integer({ min: MAX_ID_LENGTH - 2, max: MAX_ID_LENGTH + 2 }), fc.constantFrom('x', 'é', '🙂')).map(
    ([units, c]) => c.repeat(Math.ceil(units / c.length)).slice(0, units - (units % c.length)),
  ),
  // 3000 bytes: over PostgreSQL's B-tree entry limit, the failure a long id used to hit.
  fc.constantFrom('.', '..', '...', 'x'.repeat(3000)),
);

t.test(`an id the import stores opens in the API; one it refuses for length or control characters, the API refuses (${runs} ids)`, async (t) => {
  const { app, sql } = await testApi(t, { fixture: false, refresh: false });
  const dir = mkdtempSync(join(tmpdir(), 'salesdash-id-rule-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ids.csv');
  const problems: string[] = [];
  let stored = 0;
  let refused = 0;
  let order = 0;

  await fc.assert(
    fc.asyncProperty(candidateId, async (id) => {
      order++;
      writeFileSync(file, `order_id,customer_id,order_date,amount\nO-${order},${csvField(id)},2024-01-05,1\n`);
      const before = await rawSnapshot(sql);
      const imported = await importTransactions(sql, file).then(() => null, (error: Error) => error);
      const response = await app.inject({ method: 'GET', url: `/api/customers/${encodeURIComponent(id)}/details` });
      if (imported === null) {
        stored++;
        const body = response.json() as { customer_id?: string };
        if (response.statusCode !== 200 || body.customer_id !== id) {
          problems.push(`stored ${JSON.stringify(id)} but the API answered ${response.statusCode} ${response.body.slice(0, 100)}`);
        }
      } else {
        refused++;
        if (!imported.message.startsWith('ids.csv line 2, column customer_id: ')) problems.push(`unexpected error: ${imported.message}`);
        if (JSON.stringify(await rawSnapshot(sql)) !== JSON.stringify(before)) problems.push(`refusing ${JSON.stringify(id)} changed raw.*`);
        // Blank ids (refused as empty) and "." / ".." (which URL parsers resolve away) never reach the API
        // as that id; any other refused id must be refused by the API too.
        const reachesApi = id.trim() !== '' && id !== '.' && id !== '..';
        if (reachesApi && response.statusCode !== 400) {
          problems.push(`refused ${JSON.stringify(id)} (${imported.message}) but the API answered ${response.statusCode}`);
        }
      }
      return problems.length === 0;
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  t.same(problems, [], 'import and API agree on every id');
  t.ok(stored > runs / 5 && refused > runs / 5, `${stored} stored and opened, ${refused} refused by both`);
});

t.test('"." and ".." cannot be addressed in a URL path, which is why the import refuses them', async (t) => {
  for (const segment of ['.', '..', '%2E', '%2e%2E']) {
    const path = new URL(`http://localhost/api/customers/${segment}/details`).pathname;
    t.notMatch(path, /^\/api\/customers\/[^/]+\/details$/, `${segment} is resolved away: ${path}`);
  }
});
