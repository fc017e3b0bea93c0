// `salesdash import olist <dir>` and `salesdash import transactions <file.csv>` (see jobs/import).
import { basename } from 'node:path';
import type { Command } from '../command.ts';
import { parseOptions, UsageError } from '../command.ts';
import { progressLine } from '../progress.ts';
import { resolveDatabaseUrl, withPool } from '../../db/connection.ts';
import { importOlist } from '../../jobs/import/olist.ts';
import { importSummary, loadedAnything, refreshHint } from '../../jobs/import/summary.ts';
import { importTransactions, transactionColumns } from '../../jobs/import/transactions.ts';
import { DATE_FORMATS, zoneClock, type DateFormat } from '../../jobs/import/fields.ts';
import { DELIMITERS, delimiterOption, type Delimiter } from '../../jobs/import/csv-file.ts';
import { enterStep } from '../job.ts';

const usageLine = 'usage: salesdash import olist <dir> | salesdash import transactions <file.csv>';

const usage = `usage: salesdash import olist <dir> [--replace]
       salesdash import transactions <file.csv> [--replace] [--column NAME=HEADER ...] [--skip-empty-customer]
                                     [--date-format YYYY-MM-DD|DD/MM/YYYY|MM/DD/YYYY]
                                     [--time-zone ZONE] [--delimiter ';'|tab|'|'] [--decimal-comma]

Loads a shop's own data into PostgreSQL, in one transaction: a bad file is refused with its file, line and
column, and the database is left as it was. Re-importing adds the new orders and updates stored ones where
the file differs.

  olist <dir>               the public Olist CSV files, as distributed
  transactions <file.csv>   order_id,customer_id,order_date,amount [+ quantity,product_id,product_name,
                            customer_city,customer_state]; one row per purchase or purchase line (rows
                            sharing an order_id are one order); a negative amount is a refund. With
                            --column unit_price=HEADER, a line's amount is quantity × unit_price instead
  --replace                 empty the shop first (raw data, published RFM, predictions), in the same transaction
  --column NAME=HEADER      transactions: read column NAME from the file's column HEADER, e.g.
                            --column order_id=InvoiceNo --column customer_id=CustomerID (repeatable)
  --skip-empty-customer     transactions: leave out (and count) rows whose customer_id is empty, such as guest
                            checkouts, instead of refusing the file
  --date-format FORMAT      transactions: how order_date writes dates: YYYY-MM-DD (default), DD/MM/YYYY or
                            MM/DD/YYYY (any of / . - between the parts, e.g. 12/1/2010 8:26), each with an
                            optional time
  --time-zone ZONE          transactions: the shop's time zone (e.g. Europe/Berlin): an order_date with an
                            offset (2024-01-05T13:45:00Z, 2024-01-05 14:45:00 +0100) is read on its clock;
                            dates without one are taken as written. Without it, an offset is refused
  --delimiter CHAR          transactions: the field separator: ',' (default), ';', tab or '|'
  --decimal-comma           transactions: amounts are written with a comma before the cents (19,90); a
                            dot in an amount is then refused (it may be a thousands separator)

A shop holding generated demo data takes no import without --replace (or run: salesdash reset --yes).
Then: salesdash refresh, salesdash train (or make run, which does both). Details: docs/data.md
`;

// The options only a transactions file takes (an Olist directory has one fixed layout).
const transactionsOptions = {
  column: { type: 'string', multiple: true },
  'skip-empty-customer': { type: 'boolean' },
  'date-format': { type: 'string' },
  'time-zone': { type: 'string' },
  delimiter: { type: 'string' },
  'decimal-comma': { type: 'boolean' },
} as const;

export const importCommand: Command = {
  summary: 'import Olist CSV files (olist <dir>) or a shop export (transactions <file.csv>) [--replace]',
  usage,
  async run(args) {
    const { values, positionals } = parseOptions(args, { replace: { type: 'boolean' }, ...transactionsOptions });
    const [kind, path, ...rest] = positionals;
    if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}" (${usageLine})`);
    if ((kind !== 'olist' && kind !== 'transactions') || !path) {
      throw new UsageError(kind && kind !== 'olist' && kind !== 'transactions' ? `${usageLine} (unknown kind "${kind}")` : usageLine);
    }
    const misplaced = kind === 'transactions' ? undefined : Object.keys(transactionsOptions).find((name) => values[name as keyof typeof values] !== undefined);
    if (misplaced) throw new UsageError(`--${misplaced} goes with import transactions`);
    const dateFormat = values['date-format'] === undefined ? undefined : checkedDateFormat(values['date-format']);
    const delimiter = values.delimiter === undefined ? undefined : checkedDelimiter(values.delimiter);
    const timeZone = values['time-zone'] === undefined ? undefined : checkedTimeZone(values['time-zone']);
    const headers = headerNames(values.column ?? []);
    const url = await resolveDatabaseUrl();
    const progress = progressLine();
    const options = {
      replace: values.replace ?? false,
      headers,
      skipEmptyCustomer: values['skip-empty-customer'] ?? false,
      dateFormat,
      timeZone,
      delimiter,
      decimalComma: values['decimal-comma'] ?? false,
      onProgress: ({ file, rows }: { file: string; rows: number }) => progress.update(`${file}: ${rows.toLocaleString('en-US')} rows`),
      onStep: enterStep,
    };
    try {
      await withPool(url, { max: 1 }, async (sql) => {
        const counts = kind === 'olist' ? await importOlist(sql, path, options) : await importTransactions(sql, path, options);
        progress.done();
        if (options.replace) console.log('emptied the shop first (--replace)');
        // Olist names its products file's rows; a transactions file's products are a by-product of its lines.
        console.log(
          kind === 'olist'
            ? importSummary(counts, { what: 'customer id', from: path, products: true })
            : importSummary(counts, { what: 'customer', from: basename(path), products: false }),
        );
        if (loadedAnything(counts)) console.log(refreshHint);
      });
    } finally {
      progress.done();
    }
  },
};

/** `--column NAME=HEADER` values as NAME -> HEADER; NAME must be a column the importer reads, each named once. */
function headerNames(given: string[]): Record<string, string> {
  const known: readonly string[] = [...transactionColumns.required, ...transactionColumns.optional];
  const headers: Record<string, string> = {};
  const taken = new Map<string, string>();
  for (const value of given) {
    const at = value.indexOf('=');
    const name = value.slice(0, at).trim().toLowerCase();
    const header = value.slice(at + 1).trim();
    if (at === -1 || !name || !header) throw new UsageError(`--column must be NAME=HEADER, e.g. order_id=InvoiceNo (got ${JSON.stringify(value.slice(0, 40))})`);
    if (!known.includes(name)) throw new UsageError(`--column ${JSON.stringify(name.slice(0, 40))} is not a column of a transactions file (${known.join(', ')})`);
    if (name in headers) throw new UsageError(`--column ${name} is given twice`);
    const other = taken.get(header.toLowerCase());
    if (other) throw new UsageError(`--column ${name} and --column ${other} both read ${JSON.stringify(header.slice(0, 40))}`);
    headers[name] = header;
    taken.set(header.toLowerCase(), name);
  }
  return headers;
}

function checkedDateFormat(given: string): DateFormat {
  const format = DATE_FORMATS.find((f) => f === given.trim().toUpperCase());
  if (!format) throw new UsageError(`--date-format must be one of ${DATE_FORMATS.join(', ')} (got ${JSON.stringify(given.slice(0, 40))})`);
  return format;
}

function checkedDelimiter(given: string): Delimiter {
  // A tab is given by name; the others as themselves.
  const delimiter = given.toLowerCase() === 'tab' ? '\t' : DELIMITERS.find((d) => d === given);
  if (!delimiter) {
    throw new UsageError(`--delimiter must be one of ${DELIMITERS.map((d) => delimiterOption[d]).join(', ')} (got ${JSON.stringify(given.slice(0, 40))})`);
  }
  return delimiter;
}

function checkedTimeZone(given: string): string {
  try {
    zoneClock(given.trim());
  } catch (error) {
    throw new UsageError(`--time-zone: ${(error as Error).message}`);
  }
  return given.trim();
}
