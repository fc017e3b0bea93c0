// The line an import ends with (salesdash import): what was loaded, how many orders were new, how long it took.
import { counted } from '../../counted.ts';
import type { ImportCounts } from './olist.ts';

export interface SummaryOptions {
  /** What `customers` counts, in the singular: `customer id` (Olist, one per order) or `customer` (a person). */
  what: string;
  /** Where the rows came from: the file name, or the Olist directory. */
  from: string;
  /** Whether to name the products read (Olist names its products file's rows). */
  products: boolean;
}

/** One line for `counts`; a transactions file's refunds (a negative amount) are counted apart from its orders. */
/** What to run after rows were loaded: nothing shows them in the scores, segments or dashboard before a refresh. */
export const refreshHint = 'next: salesdash refresh, to score them (the dashboard and API show the last refresh until then)';

/** Whether an import loaded anything a refresh would take in (not a header-only file, nor every row skipped). */
export function loadedAnything(counts: ImportCounts & { refunds?: number }): boolean {
  return counts.orders + counts.customers + counts.items + (counts.refunds ?? 0) > 0;
}

export function importSummary(counts: ImportCounts & { refunds?: number; storedRefunds?: number }, { what, from, products }: SummaryOptions): string {
  const refunds = counts.refunds ?? 0;
  // A refund id met again replaces the stored refund: said, so two partial refunds under one id do not go unseen.
  const refundsText = `${counted(refunds, 'refund')}${counts.storedRefunds ? ` (${counts.storedRefunds.toLocaleString('en-US')} already stored, replaced where they differ)` : ''}`;
  const skipped =
    (counts.skipped ? `; skipped ${counted(counts.skipped, 'row')} with an empty customer_id` : '') +
    (counts.repeatedLines ? `; ${counted(counts.repeatedLines, 'line')} repeating an earlier line of its order exactly, each an item` : '') +
    (counts.joined ? `; added to the orders the shop already held (last import: ${counts.joined}; --replace starts over)` : '');
  if (!loadedAnything(counts)) {
    return counts.skipped
      ? `loaded 0 rows from ${from}: every row (${counts.skipped}) has an empty customer_id, skipped`
      : `loaded 0 rows from ${from}: only a header, no rows`;
  }
  const seconds = `in ${counts.seconds.toFixed(2)} s`;
  if (counts.orders === 0 && refunds > 0) return `loaded 0 orders and ${refundsText} from ${from} ${seconds}${skipped}`;
  const stored = counts.orders - counts.newOrders;
  return (
    `loaded ${counted(counts.orders, 'order')} (${counted(counts.items, 'item')}) of ${counted(counts.customers, what)}` +
    `${refunds > 0 ? ` and ${refundsText}` : ''}` +
    `${products && counts.products !== undefined ? ` and ${counted(counts.products, 'product')}` : ''} from ${from} ${seconds}: ` +
    `${counts.newOrders.toLocaleString('en-US')} new${stored > 0 ? `, ${stored.toLocaleString('en-US')} already stored (updated where they differ)` : ''}${skipped}`
  );
}
