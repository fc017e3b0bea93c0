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
  const query = sql`copy ${sql(target.table)} (${sql(target.columns as string[])}) from stdin ${options}`;
  const writable = await query.writable();
  // postgres.js (3.4.x) resolves the query with the stream and forgets the stream once it has ended; an error
  // PostgreSQL reports after that (a duplicate key found while finishing the COPY, say) then goes to the
  // already-settled query promise and the stream never finishes, so the caller would wait forever. Catching
  // that rejection here turns it into a failure of this copy. (The CopyFail that destroying the stream sends
  // afterwards is ignored by PostgreSQL outside copy mode.)
  const serverError = new Promise<never>((_, reject) => {
    (query as unknown as { reject: (error: Error) => void }).reject = reject;
  });
  // When the input fails first (a validation error), PostgreSQL's answer to the aborted COPY lands here later.
  serverError.catch(() => {});
  const source = Readable.from(inChunks(lines), { objectMode: false });
  try {
    await Promise.race([pipeline(source, writable), serverError]);
  } catch (error) {
    source.destroy();
    if (!writable.destroyed) writable.destroy(error as Error);
    throw error;
  }
}
