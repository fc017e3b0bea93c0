// What an import says about unusual but possible inputs (issue 15, finding 6): a binary or non-UTF-8 file is
// refused with one short line naming the file, the line and the byte offset (it was a 3.7 KB line of \u0000
// escapes); a file with only a header says it loaded 0 rows; a re-import says how many orders were new.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { importOlist, olistFiles } from '../../jobs/import/olist.ts';
import { importSummary } from '../../jobs/import/summary.ts';
import { importTransactions } from '../../jobs/import/transactions.ts';
import { runSalesdash, runSalesdashUnread } from '../helpers/cli.ts';
import { testDatabase } from '../helpers/db.ts';
import { rawSnapshot } from './raw-snapshot.ts';

const header = 'order_id,customer_id,order_date,amount\n';
const good = `${header}A-1,alice,2024-01-05,19.90\nA-2,alice,2024-03-01,5\nB-1,bob,2024-02-10,0\n`;

function file(t: { teardown(fn: () => void): void }, name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'salesdash-input-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const latin1 = Buffer.concat([Buffer.from(`${header}A-1,alice,2024-01-05,19.90\nA-2,jo`), Buffer.from([0xe3]), Buffer.from('o,2024-01-06,5\n')]);
// A character split across the file's 64 KiB reads must not count as invalid: é (c3 a9) straddles byte 65536.
const withCity = `${header.trimEnd()},customer_city\n`;
const cityPrefix = `${withCity}A-1,alice,2024-01-05,1,`;
const longCity = `${'x'.repeat(65_535 - Buffer.byteLength(cityPrefix))}é`;
const longLine = `${cityPrefix}${longCity}\n`;

const refusals: { name: string; content: Buffer; message: string }[] = [
  {
    name: 'zeros.csv (4 KB of NUL bytes)',
    content: Buffer.alloc(4096),
    message: 'zeros.csv line 1: a binary file, not CSV text: a NUL byte in the first line (byte offset 0)',
  },
  {
    name: 'twice.csv.gz (gzip inside gzip)',
    content: gzipSync(gzipSync(good)),
    message: 'twice.csv.gz line 1: a gzip file inside a gzip file, not CSV: decompress it first (byte offset 0)',
  },
  {
    name: 'cut.csv.gz (a download cut short)',
    content: gzipSync(good).subarray(0, 30),
    message: 'cut.csv.gz: not a readable gzip file (unexpected end of file)',
  },
  {
    name: 'shop.xlsx',
    content: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), Buffer.alloc(200, 7)]),
    message: 'shop.xlsx line 1: a zip file (an .xlsx workbook is one), not CSV: export the sheet as CSV (UTF-8) (byte offset 0)',
  },
  {
    name: 'latin1.csv',
    content: latin1,
    message: `latin1.csv line 3: not UTF-8 text: byte 0xe3; save the file as CSV (UTF-8) (byte offset ${latin1.indexOf(0xe3)})`,
  },
  {
    name: 'utf16.csv',
    content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(good, 'utf16le')]),
    message: 'utf16.csv line 1: UTF-16 text, not UTF-8: save the file as CSV (UTF-8) (byte offset 0)',
  },
  {
    name: 'cut.csv (ends inside a character)',
    content: Buffer.concat([Buffer.from(`${header}A-1,jo`), Buffer.from([0xc3])]),
    message: `cut.csv line 2: not UTF-8 text: the file ends inside a character (byte offset ${header.length + 'A-1,jo'.length})`,
  },
];

for (const refusal of refusals) {
  t.test(`refuses ${refusal.name} in one short line naming the file, line and byte offset`, async (t) => {
    const { sql } = await testDatabase(t);
    await importTransactions(sql, file(t, 'earlier.csv', `${header}Z-1,zed,2023-05-01,10\n`));
    const before = await rawSnapshot(sql);
    const path = file(t, refusal.name.split(' ')[0]!, refusal.content);
    const failure = await importTransactions(sql, path).then(() => null, (error: Error) => error);
    t.equal(failure?.message, refusal.message);
    t.ok(failure && failure.message.length < 160, 'short');
    t.same(await rawSnapshot(sql), before, 'nothing changed');
  });
}

t.test('a gzip file is read as the CSV text it holds, with its lines counted in that text', async (t) => {
  const { sql } = await testDatabase(t);
  const counts = await importTransactions(sql, file(t, 'shop.csv.gz', gzipSync(good)));
  t.match(counts, { orders: 3, newOrders: 3 });
  t.same((await sql`select order_id, price::text as price from raw.order_items order by 1`).map((r) => [r.order_id, r.price]),
    [['A-1', '19.90'], ['A-2', '5.00'], ['B-1', '0.00']]);
  await t.rejects(importTransactions(sql, file(t, 'bad.csv.gz', gzipSync(`${header}C-1,carol,2024-13-01,1\n`))), {
    message: 'bad.csv.gz line 2, column order_date: "2024-13-01" is not a date',
  });
  t.equal((await rawSnapshot(sql)).orders, 3, 'the refused file changed nothing');
});

t.test('valid UTF-8 split across reads, and a NUL after the header, are not called binary', async (t) => {
  const { sql } = await testDatabase(t);
  const counts = await importTransactions(sql, file(t, 'long.csv', longLine));
  t.match(counts, { orders: 1, newOrders: 1 });
  t.equal(Buffer.from(longLine).indexOf(Buffer.from('é')), 65_535, 'é straddles the first read');
  const [row] = await sql`select customer_city from raw.customers`;
  t.equal(row!.customer_city, longCity, 'the character arrived whole');
  await t.rejects(importTransactions(sql, file(t, 'nul.csv', `${withCity}N-1,nul,2024-01-05,1,Rio\u0000\n`)), {
    message: 'nul.csv line 2, column customer_city: "Rio\\u0000" contains a NUL character, which PostgreSQL text cannot hold',
  });
});

t.test('an Olist file that is binary is named', async (t) => {
  const { sql } = await testDatabase(t);
  const dir = mkdtempSync(join(tmpdir(), 'salesdash-input-olist-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, olistFiles.customers), Buffer.alloc(100));
  writeFileSync(join(dir, olistFiles.orders), '');
  writeFileSync(join(dir, olistFiles.items), '');
  await t.rejects(importOlist(sql, dir), {
    message: 'olist_customers_dataset.csv line 1: a binary file, not CSV text: a NUL byte in the first line (byte offset 0)',
  });
});

t.test('salesdash import: binary file, header-only file, first import and re-import', async (t) => {
  const { sql, url } = await testDatabase(t);
  const env = { ...process.env, DATABASE_URL: url };
  const salesdash = (...args: string[]) => runSalesdash(env, ...args);

  const binary = await salesdash('import', 'transactions', file(t, 'zeros.csv', Buffer.alloc(3700)));
  t.same(binary, {
    code: 1,
    stdout: '',
    stderr: 'salesdash: import: zeros.csv line 1: a binary file, not CSV text: a NUL byte in the first line (byte offset 0)\n',
  });

  const empty = await salesdash('import', 'transactions', file(t, 'empty.csv', header));
  t.same(empty, { code: 0, stdout: 'loaded 0 rows from empty.csv: only a header, no rows\n', stderr: '' });
  t.equal((await rawSnapshot(sql)).orders, 0);

  const path = file(t, 'shop.csv', good);
  const first = await salesdash('import', 'transactions', path);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /^loaded 3 orders \(3 items\) of 2 customers from shop\.csv in \d+\.\d+ s: 3 new\nnext: salesdash refresh, to score them \(the dashboard and API show the last refresh until then\)\n$/);
  const again = await salesdash('import', 'transactions', path);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, /^loaded 3 orders \(3 items\) of 2 customers from shop\.csv in \d+\.\d+ s: 0 new, 3 already stored \(updated where they differ\)\nnext: salesdash refresh, to score them \(the dashboard and API show the last refresh until then\)\n$/);
  const more = await salesdash('import', 'transactions', file(t, 'more.csv', `${good}C-1,carol,2024-04-01,7\n`));
  t.match(more.stdout, /: 1 new, 3 already stored/);
  t.equal((await rawSnapshot(sql)).orders, 4);

  // Nobody reads the summary (`salesdash import ... | head -1`): the write fails with EPIPE, which is no failure of
  // the import. It said "import failed while committing: the database connection was lost" and exited 1.
  const unread = await runSalesdashUnread(env, 'import', 'transactions', file(t, 'unread.csv', `${good}E-1,erin,2024-05-01,3\n`));
  t.same(unread, { code: 0, stderr: '' }, 'stdout closed by its reader: exit 0, nothing on stderr');
  t.equal((await rawSnapshot(sql)).orders, 5, 'and the import committed');
});

// The summary salesdash import prints (importSummary): refunds are counted apart from orders, and "only a header"
// is said only of a file without rows.
t.test('the import summary counts orders and refunds apart', async (t) => {
  const { sql } = await testDatabase(t);
  const summary = async (name: string, content: string) => {
    const counts = await importTransactions(sql, file(t, name, content));
    return importSummary(counts, { what: 'customer', from: name, products: false }).replace(/ in \d+\.\d\d s/, ' in N s');
  };
  t.equal(await summary('empty.csv', header), 'loaded 0 rows from empty.csv: only a header, no rows');
  t.equal(await summary('shop.csv', good), 'loaded 3 orders (3 items) of 2 customers from shop.csv in N s: 3 new');
  t.equal(
    await summary('refunds.csv', `${header}R-1,alice,2024-03-02,-5.00\nR-2,bob,2024-03-02,-6\n`),
    'loaded 0 orders and 2 refunds from refunds.csv in N s; added to the orders the shop already held (last import: transactions shop.csv; --replace starts over)',
  );
  t.equal(
    await summary('mixed.csv', `${header}A-1,alice,2024-01-05,19.90\nC-1,carol,2024-04-01,7\nR-3,carol,2024-04-02,-1\n`),
    'loaded 2 orders (2 items) of 2 customers and 1 refund from mixed.csv in N s: 1 new, 1 already stored (updated where they differ); added to the orders the shop already held (last import: transactions refunds.csv; --replace starts over)',
  );
  t.equal(
    await summary('one.csv', `${header}D-1,dan,2024-04-03,5\n`),
    'loaded 1 order (1 item) of 1 customer from one.csv in N s: 1 new; added to the orders the shop already held (last import: transactions mixed.csv; --replace starts over)',
  );
  // A refund id met again replaces the stored refund, and the summary says so.
  t.equal(
    await summary('again.csv', `${header}R-1,alice,2024-03-05,-3.00\nR-9,alice,2024-03-05,-1.00\n`),
    'loaded 0 orders and 2 refunds (1 already stored, replaced where they differ) from again.csv in N s; added to the orders the shop already held (last import: transactions one.csv; --replace starts over)',
  );
  // Identical lines of one order are items each, and said so.
  t.equal(
    await summary('twice.csv', `${header}E-1,eve,2024-04-04,5\nE-1,eve,2024-04-04,5\nE-1,eve,2024-04-04,6\n`),
    'loaded 1 order (3 items) of 1 customer from twice.csv in N s: 1 new; 1 line repeating an earlier line of its order exactly, each an item; added to the orders the shop already held (last import: transactions again.csv; --replace starts over)',
  );
  t.equal((await rawSnapshot(sql)).refunds, 4);
  t.same((await sql`select amount::text from raw.refunds where refund_id = 'R-1'`).map((r) => r.amount), ['3.00']);
});
