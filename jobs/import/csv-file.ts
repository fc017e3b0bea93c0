// Streams a CSV file record by record (bounded memory) with the line number of each record, after checking that
// the header has every required column. csv-parse copes with the Olist files' mixed quoting and strips the
// UTF-8 byte order mark some of them start with.
import { isUtf8 } from 'node:buffer';
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse, type Options } from 'csv-parse';
import { excerpt, ImportError } from './import-error.ts';

export interface CsvRecord {
  /** Line (1-based, the header is line 1) on which the record starts. */
  line: number;
  fields: string[];
}

export interface CsvFile {
  /** The file name used in error messages. */
  label: string;
  /** Column name (lower case, trimmed) -> position; optional columns absent from the header are missing here. */
  columns: Map<string, number>;
  records(): AsyncGenerator<CsvRecord>;
}

/** More header columns than any shop export has; a wider header is refused with one short line. */
export const MAX_COLUMNS = 1000;

/** Where the first byte that is not valid UTF-8 lies in `bytes` (which isUtf8 refused). */
function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    if (need === 0 || i + need >= bytes.length) return i;
    for (let k = 1; k <= need; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong forms, UTF-16 surrogates and code points above U+10FFFF.
    const c = bytes[i + 1]!;
    if ((b === 0xe0 && c < 0xa0) || (b === 0xed && c >= 0xa0) || (b === 0xf0 && c < 0x90) || (b === 0xf4 && c >= 0x90)) return i;
    i += need + 1;
  }
  return 0;
}

/** Bytes at the end of `bytes` that start a UTF-8 sequence the next chunk completes (0 when none). */
function incompleteTail(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead byte
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

// Files people pick by mistake, recognised by their first bytes, so the message can say what to do.
const knownBinaries: { magic: number[]; what: string }[] = [
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'a zip file (an .xlsx workbook is one), not CSV: export the sheet as CSV (UTF-8)' },
  // Read through gunzip already (isGzip): gzip inside gzip.
  { magic: [0x1f, 0x8b], what: 'a gzip file inside a gzip file, not CSV: decompress it first' },
  { magic: [0xff, 0xfe], what: 'UTF-16 text, not UTF-8: save the file as CSV (UTF-8)' },
  { magic: [0xfe, 0xff], what: 'UTF-16 text, not UTF-8: save the file as CSV (UTF-8)' },
];

/** Whether the file starts like gzip: an export compressed as shop.csv.gz is read through gunzip. */
function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const start = Buffer.alloc(2);
    return readSync(fd, start, 0, 2, 0) === 2 && start[0] === 0x1f && start[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/**
 * Lets only UTF-8 text through to the CSV parser, which would otherwise read a binary file (or a Latin-1 or
 * UTF-16 export) as one huge garbled field. Refuses, naming the byte offset and its line: bytes that are not
 * UTF-8, and a NUL byte in the first line (text files have none; binary formats start with some). A NUL
 * later in a field is left to the field checks, which name its column.
 */
class Utf8TextCheck extends Transform {
  private offset = 0;
  private line = 1;
  private inFirstLine = true;
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly label: string) {
    super();
  }

  private refuse(at: number, problem: string): ImportError {
    return new ImportError(this.label, this.line, null, `${problem} (byte offset ${this.offset + at})`);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const bytes = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (this.offset === 0 && this.pending.length === 0) {
      const known = knownBinaries.find(({ magic }) => magic.every((byte, i) => bytes[i] === byte));
      if (known) return done(this.refuse(0, known.what));
    }
    const keep = incompleteTail(bytes);
    const whole = keep ? bytes.subarray(0, bytes.length - keep) : bytes;
    if (this.inFirstLine) {
      const end = whole.indexOf(0x0a);
      const nul = whole.subarray(0, end === -1 ? whole.length : end).indexOf(0);
      if (nul !== -1) return done(this.refuse(nul, 'a binary file, not CSV text: a NUL byte in the first line'));
      if (end !== -1) this.inFirstLine = false;
    }
    if (!isUtf8(whole)) {
      const at = firstInvalidUtf8(whole);
      this.countLines(whole.subarray(0, at));
      return done(this.refuse(at, `not UTF-8 text: byte 0x${whole[at]!.toString(16).padStart(2, '0')}; save the file as CSV (UTF-8)`));
    }
    this.countLines(whole);
    this.offset += whole.length;
    this.pending = keep ? Buffer.from(bytes.subarray(bytes.length - keep)) : Buffer.alloc(0);
    done(null, whole);
  }

  override _flush(done: TransformCallback): void {
    // The file ends inside a multi-byte character.
    if (this.pending.length) return done(this.refuse(0, 'not UTF-8 text: the file ends inside a character'));
    done();
  }

  /** Moves the line count past `bytes`. */
  private countLines(bytes: Buffer): void {
    for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) this.line++;
  }
}

// How to write a quote inside a field, for the messages about quotes.
const quoteAdvice = 'put the whole field in quotes and double each quote inside it (12" vinyl is written "12"" vinyl")';

// The quoting mistakes of hand-edited files, in plain words (csv-parse's own messages count fields from 0).
const quoteProblems: Record<string, (failure: { field?: unknown }) => string> = {
  CSV_QUOTE_NOT_CLOSED: () => 'not valid CSV: the quote (") opening this field is never closed',
  INVALID_OPENING_QUOTE: (failure) =>
    `not valid CSV: a quote (") inside a field that does not start with one${
      typeof failure.field === 'string' ? ` (after ${excerpt(failure.field)})` : ''
    }; ${quoteAdvice}`,
  CSV_INVALID_CLOSING_QUOTE: () => `not valid CSV: the field goes on after its closing quote ("); ${quoteAdvice}`,
};

/**
 * One line for a parse failure of the record starting at `line`; `header` (once read) names the column of a
 * quoting mistake.
 */
function describeParseError(label: string, error: unknown, line: number, header?: readonly string[]): ImportError {
  // Already one line naming the file: a refused byte (Utf8TextCheck).
  if (error instanceof ImportError) return error;
  const failure = error as Error & { code?: string; field?: unknown; index?: unknown };
  const quoteProblem = quoteProblems[failure.code ?? ''];
  if (quoteProblem) {
    const column = (header && typeof failure.index === 'number' && header[failure.index]) || null;
    return new ImportError(label, line, column, quoteProblem(failure));
  }
  // csv-parse messages end with "at line N"; the line is already in front.
  const problem = failure.message.replace(/^Invalid Record Length: /, '').replace(/:? ?at line \d+\.?$/, '');
  return new ImportError(label, line, null, `not valid CSV (${problem})`);
}

/** The field separators a file may use: `;` is what spreadsheets write where the comma is the decimal mark. */
export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];
const delimiterNames: Record<Delimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };
/** How each is given on the command line (a tab is hard to type). */
export const delimiterOption: Record<Delimiter, string> = { ',': "','", ';': "';'", '\t': 'tab', '|': "'|'" };

/** What to add to "missing column NAME" for a column that exports often lack in the form asked for. */
const missingHints: Record<string, string> = {
  amount: "; amount is each line's total (quantity × unit price)",
};

/** The header as the file writes it, for messages: its names (case kept), cut after HEADER_EXCERPT_LENGTH characters. */
const HEADER_EXCERPT_LENGTH = 100;
function headerExcerpt(names: readonly string[]): string {
  const text = names.map((name) => name.trim()).join(',');
  return text.length > HEADER_EXCERPT_LENGTH
    ? `${JSON.stringify(text.slice(0, HEADER_EXCERPT_LENGTH))}… (${names.length} columns)`
    : JSON.stringify(text);
}

/**
 * Opens `path`; `optional` names the columns read when present (like `required`, none may appear twice).
 * `headers` reads a column from a header named otherwise (e.g. order_id from InvoiceNo), matched like any name.
 */
export async function openCsv(
  path: string,
  required: readonly string[],
  optional: readonly string[] = [],
  {
    headers = {},
    renamable = false,
    delimiter = ',',
  }: {
    headers?: Readonly<Record<string, string>>;
    /** Whether the caller reads columns named otherwise and other delimiters (transactions), for the hints of a missing column's message. */
    renamable?: boolean;
    /** The field separator: `,` unless the caller reads another (`--delimiter`). */
    delimiter?: Delimiter;
  } = {},
): Promise<CsvFile> {
  const label = basename(path);
  if (!existsSync(path)) throw new ImportError(label, null, null, `file not found (${path})`);
  if (!statSync(path).isFile()) throw new ImportError(label, null, null, `not a file (${path})`);

  // Line numbers are counted here rather than with csv-parse's `info` option, which costs about three times the
  // parse itself: one line per record plus the line breaks inside quoted fields. Empty lines are kept by the
  // parser (as a single empty field) only so that they can be counted and skipped. Without autoDestroy, a parse
  // error reaches the reader after every record parsed before it (destroying would drop those still buffered),
  // so the count is at the failing record when the error arrives.
  const input = createReadStream(path);
  // Both line endings, whatever the first line used: an export appended to by another tool often mixes them.
  const parser = parse({ bom: true, delimiter, relax_column_count: true, autoDestroy: false, record_delimiter: ['\r\n', '\n'] } as Options);
  // A gzip file is read as the text it holds; line numbers and byte offsets then count in that text.
  let text: Readable = input;
  if (isGzip(path)) {
    const gunzip = createGunzip();
    gunzip.on('error', (error) => parser.destroy(new ImportError(label, null, null, `not a readable gzip file (${error.message})`)));
    parser.on('close', () => gunzip.destroy());
    text = input.pipe(gunzip);
  }
  text.pipe(new Utf8TextCheck(label)).on('error', (error) => parser.destroy(error)).pipe(parser);
  // pipe() forwards no errors: a refused byte or a read error must end the parser's reader with that error.
  input.on('error', (error) => parser.destroy(new ImportError(label, null, null, `cannot be read (${error.message})`)));
  // Destroying the parser (done, or refused) closes the file too.
  parser.on('close', () => input.destroy());
  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  let nextLine = 1;
  const isEmptyLine = (record: string[]) => record.length === 1 && record[0] === '';
  const linesIn = (record: string[]) => {
    let lines = 1;
    for (const field of record) {
      for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) lines++;
    }
    return lines;
  };

  let first: IteratorResult<string[]>;
  let headerLine = nextLine;
  try {
    do {
      headerLine = nextLine;
      first = await iterator.next();
      if (!first.done) nextLine += linesIn(first.value);
    } while (!first.done && isEmptyLine(first.value));
  } catch (error) {
    throw describeParseError(label, error, headerLine);
  }
  if (first.done) throw new ImportError(label, null, null, 'is empty (a header line is required)');
  if (first.value.length > MAX_COLUMNS) {
    parser.destroy();
    throw new ImportError(label, headerLine, null, `the header has ${first.value.length} columns (at most ${MAX_COLUMNS})`);
  }
  const header = first.value.map((name) => name.trim().toLowerCase());
  const headerText = headerExcerpt(first.value);
  // A file separated by another delimiter than the one read reads as one long column name: what a missing
  // column's message adds then.
  const separator = DELIMITERS.find((other) => other !== delimiter && header.some((field) => field.includes(other)));
  const separatorNote = separator
    ? { why: `; the file is read as ${delimiterNames[delimiter]}-separated, and its header line holds ${delimiterNames[separator]}s`,
        hint: renamable ? `; read it with --delimiter ${delimiterOption[separator]}` : '' }
    : undefined;
  // Every given header is found in the file's own names before any is renamed, so mappings cannot chain or swap
  // depending on their order (order_id=customer_id with customer_id=order_id swaps the two).
  const renamed = Object.entries(headers).map(([name, given]) => {
    const wanted = given.trim().toLowerCase();
    const at = header.indexOf(wanted);
    const again = header.indexOf(wanted, at + 1);
    if (at === -1 || again !== -1) {
      parser.destroy();
      const problem =
        at === -1
          ? `missing column ${excerpt(given)}, given for ${name}${separatorNote?.why ?? ''} (header: ${headerText})${separatorNote?.hint ?? ''}`
          : `${excerpt(given)}, given for ${name}, appears twice in the header (field ${at + 1} ${excerpt(first.value[at]!)} and field ${again + 1} ${excerpt(first.value[again]!)})`;
      throw new ImportError(label, headerLine, null, problem);
    }
    return [at, name] as const;
  });
  const original = [...header];
  // The file's own column of a name read from another header is not read (customer_id=email in a file that
  // also has a customer_id column): marked so that it is neither read nor counted as a second customer_id.
  for (const [, name] of renamed) {
    const own = original.indexOf(name);
    if (own !== -1 && !renamed.some(([at]) => at === own)) header[own] = `\u0000not read: ${name}`;
  }
  for (const [at, name] of renamed) header[at] = name;
  const columns = new Map(header.map((name, index) => [name, index] as const));
  for (const name of required) {
    if (!columns.has(name)) {
      parser.destroy();
      const takenAs = original.includes(name) ? header[original.indexOf(name)] : undefined;
      const why = takenAs ? `: the file's ${name} is read as ${takenAs}` : (separatorNote?.why ?? '');
      const hint = takenAs || !renamable
        ? ''
        : (separatorNote?.hint ?? `; --column ${name}=HEADER reads a column named otherwise${missingHints[name] ?? ''}`);
      throw new ImportError(label, headerLine, null, `missing column ${name}${why} (header: ${headerText})${hint}`);
    }
  }
  // A column named twice (whatever the case) would be read from one of its fields and the other ignored.
  for (const name of [...required, ...optional]) {
    const at = header.indexOf(name);
    const again = header.indexOf(name, at + 1);
    if (at !== -1 && again !== -1) {
      parser.destroy();
      throw new ImportError(
        label,
        headerLine,
        name,
        `appears twice in the header (field ${at + 1} ${excerpt(first.value[at]!)} and field ${again + 1} ${excerpt(first.value[again]!)})`,
      );
    }
  }

  async function* records(): AsyncGenerator<CsvRecord> {
    try {
      while (true) {
        let next: IteratorResult<string[]>;
        try {
          next = await iterator.next();
        } catch (error) {
          throw describeParseError(label, error, nextLine, header);
        }
        if (next.done) return;
        const record = next.value;
        const line = nextLine;
        nextLine += linesIn(record);
        if (isEmptyLine(record)) continue;
        if (record.length !== header.length) {
          throw new ImportError(label, line, null, `expected ${header.length} fields, found ${record.length}`);
        }
        yield { line, fields: record };
      }
    } finally {
      parser.destroy();
    }
  }

  return { label, columns, records };
}
