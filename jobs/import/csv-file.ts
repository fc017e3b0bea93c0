// Streams a CSV file record by record (bounded memory) with the line number of each record, after checking that
// the header has every required column. csv-parse copes with the Olist files' mixed quoting and strips the
// UTF-8 byte order mark some of them start with.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse';
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

function describeParseError(label: string, error: unknown): ImportError {
  const failure = error as Error & { lines?: number; code?: string; field?: unknown };
  const line = typeof failure.lines === 'number' ? failure.lines : null;
  let message = failure.message;
  // An invalid opening quote quotes the whole field read so far (`value is "..."`), which may be huge: only
  // an excerpt of it is kept.
  const value = ', value is ';
  const at = message.indexOf(value);
  if (typeof failure.field === 'string' && at !== -1) {
    const rest = message.slice(at + value.length + JSON.stringify(failure.field).length);
    message = `${message.slice(0, at)}${value}${excerpt(failure.field)}${rest}`;
  }
  // csv-parse messages end with "at line N"; the line is already in front.
  const problem = message.replace(/^Invalid Record Length: /, '').replace(/:? ?at line \d+\.?$/, '');
  return new ImportError(label, line, null, `not valid CSV (${problem})`);
}

export async function openCsv(path: string, required: readonly string[]): Promise<CsvFile> {
  const label = basename(path);
  if (!existsSync(path)) throw new ImportError(label, null, null, `file not found (${path})`);
  if (!statSync(path).isFile()) throw new ImportError(label, null, null, `not a file (${path})`);

  // Line numbers are counted here rather than with csv-parse's `info` option, which costs about three times the
  // parse itself: one line per record plus the line breaks inside quoted fields. Empty lines are kept by the
  // parser (as a single empty field) only so that they can be counted and skipped.
  const parser = createReadStream(path).pipe(parse({ bom: true, relax_column_count: true }));
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
    throw describeParseError(label, error);
  }
  if (first.done) throw new ImportError(label, null, null, 'is empty (a header line is required)');
  if (first.value.length > MAX_COLUMNS) {
    parser.destroy();
    throw new ImportError(label, headerLine, null, `the header has ${first.value.length} columns (at most ${MAX_COLUMNS})`);
  }
  const header = first.value.map((name) => name.trim().toLowerCase());
  const columns = new Map(header.map((name, index) => [name, index] as const));
  for (const name of required) {
    if (!columns.has(name)) {
      parser.destroy();
      throw new ImportError(label, headerLine, null, `missing column ${name} (header: ${excerpt(header.join(','))})`);
    }
  }

  async function* records(): AsyncGenerator<CsvRecord> {
    try {
      while (true) {
        let next: IteratorResult<string[]>;
        try {
          next = await iterator.next();
        } catch (error) {
          throw describeParseError(label, error);
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
