// CSV injection: a spreadsheet opening a CSV file runs a cell that starts with =, +, -, @, a tab or a carriage
// return as a formula, so an imported id such as =HYPERLINK("http://x","y") would become a live link. Every CSV
// export writes its text columns through csvText, which puts a single quote before such a cell so that it
// reads as text. A plain number (-5, +12, 3.5) is no formula and stays as it is. JSON answers are unchanged.
import type { TransactionSql } from 'postgres';

/**
 * The text column `column` as a CSV export writes it: an SQL expression for a select list, named `column`.
 * `sql` is the export's transaction.
 */
export function csvText(sql: TransactionSql, column: string) {
  const value = sql(column);
  // postgres.js takes the template's cooked text: \\t reaches PostgreSQL as the regex escape \t.
  return sql`case when ${value} ~ '^[-=+@\\t\\r]' and ${value} !~ '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$'
                  then '''' || ${value} else ${value} end as ${value}`;
}
