// Property-based fuzzing of both importers with corrupted files (fast-check): truncated files and lines, wrong
// column counts, bad dates and amounts, negative amounts, stray quotes, byte order marks, unicode, empty files,
// dates outside the accepted range, amounts finer than a cent, ids too long or with control characters.
// Whatever the corruption, an import either loads the whole file (every record, exactly as csv-parse reads
// it, as an order or, with a negative amount, a refund; every stored id and date within the rules) or throws one short line naming the file (and the line,
// when one line is at fault) and leaves raw.* exactly as it was (md5 over every raw table in key order). The
// database is never empty before a run, so "nothing changed" is a real check.
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import fc from 'fast-check';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { idProblem } from '../../contract/ids.ts';
import type { Sql } from '../../db/connection.ts';
import { DAYS_AHEAD, EARLIEST_DATE } from '../../jobs/import/fields.ts';
import { importOlist, olistFiles } from '../../jobs/import/olist.ts';
import { importTransactions } from '../../jobs/import/transactions.ts';
import { testDatabase } from '../helpers/db.ts';
import { rawSnapshot } from '../import/raw-snapshot.ts';

// `make soak` (SOAK_SECONDS set) fuzzes ten times as many files.
const runs = Number(process.env.FUZZ_RUNS ?? (Number(process.env.SOAK_SECONDS) > 0 ? 600 : 60));
const seed = Number(process.env.FUZZ_SEED ?? 20261125);
t.setTimeout(Math.max(600, runs * 4) * 1000);
const olistFixture = new URL('../fixtures/olist-small/', import.meta.url).pathname;

// A clean export; ids never collide with the baseline below, so a successful import only adds rows.
const cleanTransactions = `order_id,customer_id,order_date,quantity,amount,product_name,customer_city
A-1,alice,2024-01-05,1,19.90,Caneca azul,São Paulo
A-2,alice,2024-03-01 14:30:00,2,5,Caneca azul,São Paulo
B-1,bob,2024-02-10,1,0,"Livro ""Dom Casmurro""",Niterói
C-1,carol,2024-04-12,3,120.50,Toalha,Curitiba
C-2,carol,2024-05-30,1,7.25,,Curitiba
D-1,dave,2024-06-01,1,42,Toalha,
`;
const baseline = `order_id,customer_id,order_date,amount
ZZ-1,zed,2023-12-01,10
ZZ-2,zed,2023-12-15,12.5
ZY-1,zoe,2023-11-20,99.99
`;

/** One corruption of a CSV text; `line` and `at` are fractions so fast-check shrinks them independently. */
type Mutation =
  | { kind: 'truncate file'; at: number }
  | { kind: 'truncate line'; line: number; at: number }
  | { kind: 'drop field'; line: number }
  | { kind: 'extra field'; line: number; text: string }
  | { kind: 'replace field'; line: number; field: number; text: string }
  | { kind: 'stray quote'; at: number }
  | { kind: 'bom'; where: 'start' | 'twice' | 'middle'; at: number }
  | { kind: 'empty file' }
  | { kind: 'header only' }
  | { kind: 'crlf' }
  | { kind: 'blank lines'; line: number };

const badDates = ['2024-13-01', '2024-02-30', 'yesterday', '', '0000-00-00', '2024-01-01T25:00', '01/02/2024', '99999-01-01', '2024-1-1'];
const farDates = ['0001-01-01', '0000-01-01 00:00:00', '1969-12-31 23:59:59', '9999-12-31', '2999-01-01 10:00:00'];
const badAmounts = ['-5', '-0.01', 'abc', '1e309', 'NaN', 'Infinity', '12,5', '99999999999999999999', '', '1.2.3', '0x10', ' 7 '];
const fineAmounts = ['0.001', '1.999', '9999999999.999', '19.900'];
const oddIds = ['x'.repeat(129), 'x'.repeat(100_000), 'a\tb', '"a\nb"', '..', 'a\u007fb', '🙂'.repeat(65)];
const oddText = fc.oneof(
  fc.constantFrom(...badDates, ...badAmounts, "'; drop table raw.orders; --", '\u0000', '\u202e', '🙂', 'ä'.repeat(300), '"', '""', ' '),
  fc.constantFrom(...farDates, ...fineAmounts, ...oddIds),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);
const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('truncate file' as const), at: fraction }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('truncate line' as const), line: fraction, at: fraction }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('drop field' as const), line: fraction }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('extra field' as const), line: fraction, text: oddText }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('replace field' as const), line: fraction, field: fraction, text: oddText }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('replace field' as const), line: fraction, field: fraction, text: oddText }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('stray quote' as const), at: fraction }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('bom' as const), where: fc.constantFrom('start' as const, 'twice' as const, 'middle' as const), at: fraction }), weight: 3 },
  // Whole-file cases are few; weighted down so most runs damage something inside the file.
  { arbitrary: fc.constant({ kind: 'empty file' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'header only' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'crlf' as const }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('blank lines' as const), line: fraction }), weight: 3 },
);

const pick = (length: number, f: number) => Math.min(length - 1, Math.floor(f * length));

/** Applies one mutation to a data line (never the header, except for file-level corruptions). */
function corrupt(text: string, m: Mutation): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const dataLine = (f: number) => 1 + pick(lines.length - 1, f);
  switch (m.kind) {
    case 'truncate file':
      return text.slice(0, Math.floor(m.at * text.length));
    case 'truncate line': {
      const i = dataLine(m.line);
      lines[i] = lines[i]!.slice(0, Math.floor(m.at * lines[i]!.length));
      return `${lines.join('\n')}\n`;
    }
    case 'drop field': {
      const i = dataLine(m.line);
      lines[i] = lines[i]!.replace(/,[^,]*$/, '');
      return `${lines.join('\n')}\n`;
    }
    case 'extra field': {
      const i = dataLine(m.line);
      lines[i] = `${lines[i]},${m.text}`;
      return `${lines.join('\n')}\n`;
    }
    case 'replace field': {
      // Splitting on commas is naive on quoted fields; that is fine, it is one more kind of damage.
      const i = dataLine(m.line);
      const fields = lines[i]!.split(',');
      fields[pick(fields.length, m.field)] = m.text;
      lines[i] = fields.join(',');
      return `${lines.join('\n')}\n`;
    }
    case 'stray quote': {
      const at = Math.floor(m.at * text.length);
      return `${text.slice(0, at)}"${text.slice(at)}`;
    }
    case 'bom': {
      if (m.where === 'start') return `\uFEFF${text.replace(/^\uFEFF/, '')}`;
      if (m.where === 'twice') return `\uFEFF\uFEFF${text.replace(/^\uFEFF/, '')}`;
      const at = Math.floor(m.at * text.length);
      return `${text.slice(0, at)}\uFEFF${text.slice(at)}`;
    }
    case 'empty file':
      return '';
    case 'header only':
      return `${lines[0]}\n`;
    case 'crlf':
      return text.replace(/\n/g, '\r\n');
    case 'blank lines': {
      lines.splice(dataLine(m.line), 0, '', '');
      return `${lines.join('\n')}\n`;
    }
  }
}

/** Records csv-parse reads from a text with the importers' settings (bom stripped, empty lines skipped). */
function recordCount(text: string): number | 'unparsable' {
  try {
    const rows = parse(text, { bom: true, relax_column_count: true }) as string[][];
    return rows.filter((r) => !(r.length === 1 && r[0] === '')).length - 1;
  } catch {
    return 'unparsable';
  }
}

/** A transactions file's orders (ids of its purchase lines), items (purchase lines) and refunds (ids of its refund lines). */
function transactionCounts(text: string): { orders: number; items: number; refunds: number } | 'unparsable' {
  let rows: string[][];
  try {
    rows = (parse(text, { bom: true, relax_column_count: true }) as string[][]).filter((r) => !(r.length === 1 && r[0] === ''));
  } catch {
    return 'unparsable';
  }
  const header = (rows[0] ?? []).map((name) => name.trim().toLowerCase());
  const [id, amount] = [header.indexOf('order_id'), header.indexOf('amount')];
  const purchases = rows.slice(1).filter((r) => !r[amount]!.startsWith('-'));
  const refunds = rows.slice(1).filter((r) => r[amount]!.startsWith('-'));
  return { orders: new Set(purchases.map((r) => r[id])).size, items: purchases.length, refunds: new Set(refunds.map((r) => r[id])).size };
}

/** What a loaded file must never leave in raw.*: an id the API cannot open, a date outside the accepted range. */
async function ruleViolations(sql: Sql): Promise<string[]> {
  const ids = await sql<{ id: string }[]>`
    select customer_id as id from raw.customers union all select customer_unique_id from raw.customers
    union all select order_id from raw.orders union all select customer_id from raw.orders
    union all select product_id from raw.order_items where product_id is not null
    union all select seller_id from raw.order_items where seller_id is not null
    union all select product_id from raw.products
    union all select product_category_name from raw.products where product_category_name is not null
    union all select product_category_name from raw.product_categories
    union all select refund_id from raw.refunds union all select customer_id from raw.refunds`;
  const violations = ids.filter(({ id }) => idProblem(id) !== null).map(({ id }) => `stored id ${JSON.stringify(id.slice(0, 40))}`);
  // Checked after the import, so now() is a little later than the import's own limit: a looser check, never a false alarm.
  const [dates] = await sql`
    select count(*) filter (where least(order_purchase_timestamp, order_approved_at, order_delivered_carrier_date,
                                        order_delivered_customer_date, order_estimated_delivery_date) < ${EARLIEST_DATE}::timestamp
                              or greatest(order_purchase_timestamp, order_approved_at, order_delivered_carrier_date,
                                          order_delivered_customer_date) > (now() at time zone 'utc') + make_interval(days => ${DAYS_AHEAD.event})
                              or order_estimated_delivery_date > (now() at time zone 'utc') + make_interval(days => ${DAYS_AHEAD.promise}))::int as orders,
           (select count(*) from raw.order_items
            where shipping_limit_date < ${EARLIEST_DATE}::timestamp
               or shipping_limit_date > (now() at time zone 'utc') + make_interval(days => ${DAYS_AHEAD.promise}))::int as items
    from raw.orders`;
  if (dates.orders > 0) violations.push(`${dates.orders} orders with a date out of range`);
  if (dates.items > 0) violations.push(`${dates.items} items with a shipping limit out of range`);
  return violations;
}

async function resetToBaseline(sql: Sql, baselineFile: string): Promise<void> {
  await sql`truncate raw.refunds, raw.order_items, raw.orders, raw.customers, raw.products, raw.product_categories`;
  await importTransactions(sql, baselineFile);
}

interface Outcome {
  loaded: number;
  rejected: number;
  messages: Map<string, number>;
}

function tally(outcome: Outcome, message: string): void {
  // Group messages by their shape (numbers and quoted values removed) for the summary.
  const shape = message.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, 'N').slice(0, 90);
  outcome.messages.set(shape, (outcome.messages.get(shape) ?? 0) + 1);
}

t.test(`importers under ${runs} corrupted files each: the whole file or nothing`, async (t) => {
  const { sql } = await testDatabase(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'salesdash-import-fuzz-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const baselineFile = path.join(dir, 'baseline.csv');
  writeFileSync(baselineFile, baseline);
  await resetToBaseline(sql, baselineFile);
  const start = await rawSnapshot(sql);
  t.equal(start.orders, 3, 'the baseline is loaded');

  // Clean reference imports: what a successful import of the uncorrupted files adds.
  const cleanFile = path.join(dir, 'shop.csv');
  writeFileSync(cleanFile, cleanTransactions);
  const cleanCounts = await importTransactions(sql, cleanFile);
  t.match(cleanCounts, { customers: 4, orders: 6, items: 6 }, 'the clean transactions file loads');
  await resetToBaseline(sql, baselineFile);
  const olistDir = path.join(dir, 'olist');
  cpSync(olistFixture, olistDir, { recursive: true });
  const cleanOlist = await importOlist(sql, olistDir);
  t.ok(cleanOlist.orders > 0 && cleanOlist.items > 0, `the clean Olist fixture loads (${cleanOlist.orders} orders, ${cleanOlist.items} items)`);
  await resetToBaseline(sql, baselineFile);
  t.same(await rawSnapshot(sql), start, 'reset restores the baseline exactly');

  await t.test('transactions CSV', async (t) => {
    const outcome: Outcome = { loaded: 0, rejected: 0, messages: new Map() };
    const problems: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 2 }), async (mutations) => {
        const text = mutations.reduce(corrupt, cleanTransactions);
        const file = path.join(dir, 'fuzzed shop.csv');
        writeFileSync(file, text);
        const before = await rawSnapshot(sql);
        try {
          const counts = await importTransactions(sql, file);
          outcome.loaded++;
          const after = await rawSnapshot(sql);
          const expected = transactionCounts(text);
          // Whole file: every record csv-parse sees became an item of its order, or a line of its refund (a
          // negative amount); none were skipped.
          const added = { orders: after.orders - before.orders, items: after.items - before.items, refunds: after.refunds - before.refunds };
          const reported = { orders: counts.orders, items: counts.items, refunds: counts.refunds };
          if (expected === 'unparsable' || !isDeepStrictEqual(added, expected) || !isDeepStrictEqual(reported, expected)) {
            problems.push(`loaded ${JSON.stringify(reported)} (tables +${JSON.stringify(added)}) but the file has ${JSON.stringify(expected)}: ${JSON.stringify(mutations)}`);
          }
          for (const violation of await ruleViolations(sql)) problems.push(`${violation} after loading ${JSON.stringify(mutations).slice(0, 300)}`);
          await resetToBaseline(sql, baselineFile);
        } catch (error) {
          outcome.rejected++;
          const message = (error as Error).message;
          tally(outcome, message);
          if (!message.startsWith('fuzzed shop.csv')) problems.push(`error does not name the file: ${message} ${JSON.stringify(mutations)}`);
          if (message.includes('\n') || /\bat .*\.ts:\d+/.test(message)) problems.push(`error is not one line: ${message.slice(0, 300)}`);
          if (message.length > 400) problems.push(`error of ${message.length} characters: ${message.slice(0, 300)}`);
          const after = await rawSnapshot(sql);
          if (JSON.stringify(after) !== JSON.stringify(before)) problems.push(`rejected import changed raw.*: ${message} ${JSON.stringify(mutations)}`);
        }
        return problems.length === 0;
      }),
      { numRuns: runs, seed, endOnFailure: true },
    );
    t.same(problems, [], 'every corrupted file loaded whole or was rejected cleanly, naming the file');
    t.ok(outcome.rejected > runs / 4, `${outcome.rejected} rejected, ${outcome.loaded} loaded whole`);
    t.comment(`transactions fuzz (seed ${seed}): ${runs} files, ${outcome.loaded} loaded whole, ${outcome.rejected} rejected; messages: ` +
      [...outcome.messages].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([m, n]) => `${n}× ${m}`).join(' | '));
  });

  await t.test('Olist files', async (t) => {
    const outcome: Outcome = { loaded: 0, rejected: 0, messages: new Map() };
    const problems: string[] = [];
    const files = Object.values(olistFiles);
    const originals = new Map(files.map((f) => [f, readFileSync(path.join(olistFixture, f), 'utf8')]));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...files), fc.array(mutation, { minLength: 1, maxLength: 2 }), async (target, mutations) => {
        for (const [f, text] of originals) writeFileSync(path.join(olistDir, f), f === target ? mutations.reduce(corrupt, text) : text);
        const before = await rawSnapshot(sql);
        try {
          await importOlist(sql, olistDir);
          outcome.loaded++;
          const after = await rawSnapshot(sql);
          // Whole files: every order and item record of the (possibly corrupted) files is in raw.*.
          const orders = recordCount(readFileSync(path.join(olistDir, olistFiles.orders), 'utf8'));
          const items = recordCount(readFileSync(path.join(olistDir, olistFiles.items), 'utf8'));
          if (after.orders - before.orders !== orders || after.items - before.items !== items) {
            problems.push(`loaded +${after.orders - before.orders} orders/+${after.items - before.items} items but the files have ${orders}/${items}: ${target} ${JSON.stringify(mutations)}`);
          }
          for (const violation of await ruleViolations(sql)) problems.push(`${violation} after loading ${target} ${JSON.stringify(mutations).slice(0, 300)}`);
          await resetToBaseline(sql, baselineFile);
        } catch (error) {
          outcome.rejected++;
          const message = (error as Error).message;
          tally(outcome, message);
          if (!files.some((f) => message.startsWith(f))) problems.push(`error does not name a file: ${message} (${target} ${JSON.stringify(mutations)})`);
          if (message.includes('\n')) problems.push(`error is not one line: ${message.slice(0, 300)}`);
          if (message.length > 400) problems.push(`error of ${message.length} characters: ${message.slice(0, 300)}`);
          const after = await rawSnapshot(sql);
          if (JSON.stringify(after) !== JSON.stringify(before)) problems.push(`rejected import changed raw.*: ${message} (${target} ${JSON.stringify(mutations)})`);
        }
        return problems.length === 0;
      }),
      { numRuns: runs, seed, endOnFailure: true },
    );
    t.same(problems, [], 'every corrupted Olist set loaded whole or was rejected cleanly, naming the file');
    t.ok(outcome.rejected > runs / 4, `${outcome.rejected} rejected, ${outcome.loaded} loaded whole`);
    t.comment(`Olist fuzz (seed ${seed}): ${runs} file sets, ${outcome.loaded} loaded whole, ${outcome.rejected} rejected; messages: ` +
      [...outcome.messages].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([m, n]) => `${n}× ${m}`).join(' | '));
  });

  t.same(await rawSnapshot(sql), start, 'after all runs the database holds exactly the baseline');
});
