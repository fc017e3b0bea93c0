// Checks run on the TEMP staging tables before anything reaches raw.*: a key repeated inside the file, lines of
// one order that disagree, or a row that points at a customer/order present neither in this import nor in the
// database. They report the first offending line so the error reads like the field checks.
import type postgres from 'postgres';
import { excerpt, ImportError } from './import-error.ts';

type Tx = postgres.TransactionSql<{}>;

/** Rejects the file when `keys` (the natural key) repeats; names the later line and the first one. */
export async function rejectRepeatedKeys(tx: Tx, stage: string, keys: string[], file: string): Promise<void> {
  const [repeat] = await tx`
    with numbered as (
      select line, ${tx(keys)}, min(line) over (partition by ${tx(keys)}) as first_line
      from ${tx(stage)}
    )
    select line, first_line, concat_ws(', ', ${tx(keys)}) as key
    from numbered
    where line > first_line
    order by line
    limit 1`;
  if (repeat) {
    throw new ImportError(file, repeat.line, keys.join(', '), `${excerpt(repeat.key)} repeats line ${repeat.first_line}`);
  }
}

/**
 * Rejects the file when lines sharing `key` (the lines of one order, or of one refund) disagree on a column of
 * `shared` (staging column -> the file's column name), e.g. one order's lines naming two customers. Names the
 * first line that differs and the key's first line.
 */
export async function rejectDisagreeingLines(
  tx: Tx,
  stage: string,
  { key, what, shared }: { key: string; what: string; shared: Record<string, string> },
  file: string,
): Promise<void> {
  for (const [column, fileColumn] of Object.entries(shared)) {
    const [differs] = await tx`
      with lines as (
        select line, ${tx(key)} as key, ${tx(column)}::text as value,
               first_value(line) over w as first_line, first_value(${tx(column)}::text) over w as first_value
        from ${tx(stage)}
        window w as (partition by ${tx(key)} order by line)
      )
      select line, first_line, key, value, first_value
      from lines
      where value is distinct from first_value
      order by line
      limit 1`;
    if (differs) {
      throw new ImportError(
        file,
        differs.line,
        fileColumn,
        `${excerpt(differs.value ?? '')} differs from ${excerpt(differs.first_value ?? '')} on line ${differs.first_line}, ` +
          `the first line of ${what} ${excerpt(differs.key)}: the lines of one ${what} share its customer and date`,
      );
    }
  }
}

export interface Reference {
  stage: string;
  column: string;
  file: string;
  /** Where the referenced key may be: the staging table of the same import and the raw table. */
  targetStage: string | null;
  targetTable: string;
  targetColumn: string;
  describe: (key: string) => string;
}

/** Rejects the import when a row references a key found neither in the import nor already in the database. */
export async function rejectUnknownReferences(tx: Tx, ref: Reference): Promise<void> {
  // Two NOT EXISTS (rather than NOT (a OR b)) so PostgreSQL plans hashed anti-joins instead of a loop per row.
  const notInStage = ref.targetStage
    ? tx`and not exists (select from ${tx(ref.targetStage)} t where t.${tx(ref.targetColumn)} = s.${tx(ref.column)})`
    : tx``;
  const [orphan] = await tx`
    select s.line, s.${tx(ref.column)} as key
    from ${tx(ref.stage)} s
    where not exists (select from ${tx(ref.targetTable)} r where r.${tx(ref.targetColumn)} = s.${tx(ref.column)})
      ${notInStage}
    order by s.line
    limit 1`;
  if (orphan) throw new ImportError(ref.file, orphan.line, ref.column, ref.describe(orphan.key));
}

/**
 * Rows in raw.orders now. Counted before and after the merge in the import's transaction, the difference is
 * the orders the file added (the rest were stored already and are updated where they differ), whatever else
 * the merge does.
 */
export async function countOrders(tx: Tx): Promise<number> {
  const [row] = await tx<{ n: number }[]>`select count(*)::int as n from raw.orders`;
  return row!.n;
}
