// Bulk loading through COPY ... FROM STDIN in PostgreSQL's text format, fed from a (possibly async) iterator of
// rows with back-pressure: the producer waits while PostgreSQL catches up, so memory stays bounded whatever
// the row count. Shared by the importers and the generator.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';

export type CopyValue = string | number | null;

const needsEscape = /[\\\t\n\r]/;

/** One field in COPY text format: NULL is \N; backslash, tab, newline and carriage return are escaped. */
export function copyField(value: CopyValue): string {
  if (value === null) return '\\N';
  const text = typeof value === 'number' ? String(value) : value;
  if (!needsEscape.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** One row (with its newline) in COPY text format. */
export function copyRow(values: readonly CopyValue[]): string {
  let row = copyField(values[0]);
  for (let i = 1; i < values.length; i++) row += `\t${copyField(values[i])}`;
  return `${row}\n`;
}

// About 256 KB per CopyData message: few enough messages, little memory.
const chunkCharacters = 256 * 1024;

async function* inChunks(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<string> {
  let chunk = '';
  for await (const line of lines) {
    chunk += line;
    if (chunk.length >= chunkCharacters) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

export interface CopyTarget {
  /** Schema-qualified table, e.g. raw.orders (an identifier from the code, never from input). */
  table: string;
  columns: readonly string[];
  /** COPY ... WITH (FREEZE): only valid when the table was created or truncated in this transaction. */
  freeze?: boolean;
}

/** Streams already formatted COPY text lines (see copyRow) into the target on this connection/transaction. */
export async function copyLines(
  sql: postgres.Sql<{}> | postgres.TransactionSql<{}>,
  target: CopyTarget,
  lines: AsyncIterable<string> | Iterable<string>,
): Promise<void> {
  const options = target.freeze ? sql`with (freeze)` : sql``;
  const writable = await sql`copy ${sql(target.table)} (${sql(target.columns as string[])}) from stdin ${options}`.writable();
  await pipeline(Readable.from(inChunks(lines), { objectMode: false }), writable);
}
