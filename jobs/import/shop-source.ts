// What the shop's data is: generated demo data or a shop's own imported files. The one row of
// salesdash_internal.shop_source says so; generate, the importers and reset set it in their own transaction.
// Its purpose: real data never joins demo data by accident (an import into a generated shop is refused unless
// told to replace it), and `salesdash demo` never generates over a shop's own data.
//
// Lock order: every job that writes raw.* locks this row first (lockShopSource), then the raw tables, so two
// jobs never wait for each other in opposite orders, and an import that checked the source cannot see a
// generate commit between its check and its own commit. Jobs that publish what they computed from the shop
// over minutes (train, history) check in their publishing transaction, before anything else, that the shop
// was not emptied meanwhile (assertShopNotEmptiedSince): emptying locks the row FOR UPDATE, which that check's
// FOR KEY SHARE waits for, while an import that only adds rows (FOR NO KEY UPDATE) goes on beside it.
import type postgres from 'postgres';
import type { Sql } from '../../db/connection.ts';
import { ImportError } from './import-error.ts';

type Tx = postgres.TransactionSql<{}>;

export type ShopSourceKind = 'empty' | 'generated' | 'imported';

export interface ShopSource {
  source: ShopSourceKind;
  /** `seed 42` for generated data, `transactions shop.csv` / `olist <dir>` for the last import. */
  detail: string | null;
  /** People generated (generated data only). */
  customers: number | null;
  /** Whether raw.orders holds any row now (a DBA may have emptied or filled the tables by other means). */
  hasOrders: boolean;
}

type LockMode = 'none' | 'emptying' | 'adding';

async function readShopSource(tx: Tx, lock: LockMode): Promise<ShopSource> {
  const [row] = await tx<{ source: ShopSourceKind; detail: string | null; customers: number | null; has_orders: boolean }[]>`
    select source, detail, customers, exists (select from raw.orders) as has_orders
    from salesdash_internal.shop_source
    ${lock === 'emptying' ? tx`for update` : lock === 'adding' ? tx`for no key update` : tx``}`;
  if (!row) throw new Error('salesdash_internal.shop_source has no row (run: salesdash migrate)');
  return { source: row.source, detail: row.detail, customers: row.customers, hasOrders: row.has_orders };
}

/** The shop's source, without locking (for messages, e.g. `salesdash demo`). */
export function shopSource(sql: Sql): Promise<ShopSource> {
  return sql.begin((tx) => readShopSource(tx, 'none'));
}

/**
 * Locks the shop-source row until the transaction ends (first, before any raw table) and returns it.
 * `emptying`: this transaction may empty the shop (and so waits for, and holds off, a training or history
 * run publishing); otherwise it only adds or changes rows.
 */
export function lockShopSource(tx: Tx, options: { emptying: boolean }): Promise<ShopSource> {
  return readShopSource(tx, options.emptying ? 'emptying' : 'adding');
}

/** How many times the shop has been emptied so far (read when a training or history run starts). */
export async function shopEmptiedCount(sql: Sql | Tx): Promise<number> {
  const [row] = await sql<{ n: string }[]>`select emptied_count::text as n from salesdash_internal.shop_source`;
  return Number(row!.n);
}

/**
 * In a publishing transaction, before it writes anything: fails when the shop was emptied since `count` was
 * read (the old shop's figures must not land in the new one), and otherwise holds off emptying until commit.
 */
export async function assertShopNotEmptiedSince(tx: Tx, count: number, what: string): Promise<void> {
  const [row] = await tx<{ n: string }[]>`select emptied_count::text as n from salesdash_internal.shop_source for key share`;
  if (Number(row!.n) !== count) {
    throw new Error(`the shop was emptied (salesdash reset, or an import or generate with --replace) while ${what} ran: nothing was kept; run it again`);
  }
}

/** Records what the shop now holds, in the caller's transaction. */
export async function markShopSource(tx: Tx, source: ShopSourceKind, detail: string | null, customers: number | null = null): Promise<void> {
  await tx`
    update salesdash_internal.shop_source
    set source = ${source}, detail = ${detail}, customers = ${customers}, changed_at = now()`;
}

/** Every table of schema raw (`raw.orders`, ...), read from the catalog, so tables later migrations add count too. */
export async function rawTableNames(tx: Tx): Promise<string[]> {
  const tables = await tx<{ name: string }[]>`
    select n.nspname || '.' || c.relname as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'raw' and c.relkind in ('r', 'p')
    order by 1`;
  return tables.map((t) => t.name);
}

/** Describes generated data for messages: `50,000 customers, seed 42`. */
function describeGenerated(source: ShopSource): string {
  const parts = [source.customers === null ? null : `${source.customers.toLocaleString('en-US')} customers`, source.detail];
  return parts.filter(Boolean).join(', ');
}

/**
 * The rule both importers follow, at the start of their transaction: a shop holding generated demo data takes
 * no imported rows, unless `replace` empties it first (in the same transaction, so a bad file loses nothing).
 * Returns what the import adds to when the shop already holds orders from another file (`detail`, as
 * markShopSource records it), so the summary can say so: joining two shops is allowed, but never unnoticed.
 */
export async function prepareShopForImport(tx: Tx, options: { replace: boolean; detail: string }): Promise<{ joined: string | null }> {
  const source = await lockShopSource(tx, { emptying: options.replace });
  if (options.replace) {
    await emptyShop(tx);
    return { joined: null };
  }
  if (source.source === 'generated' && source.hasOrders) {
    throw new Error(
      `the shop holds generated demo data (${describeGenerated(source)}); ` +
        'run "salesdash reset --yes" first, or import with --replace',
    );
  }
  const joined = source.hasOrders && source.detail !== options.detail ? (source.detail ?? 'rows loaded by other means') : null;
  return { joined };
}

/**
 * After an import with --replace (ordersAfter: raw.orders counted in its transaction): refuses one that leaves the shop without a single order
 * (a file of only a header, or whose every row was skipped). Emptying the shop is what `salesdash reset` is for;
 * a replacement that brings nothing is the wrong file or a wrong filter, and must not cost the shop its data.
 */
export function rejectEmptyReplacement(ordersAfter: number, file: string, why: string): void {
  if (ordersAfter === 0) {
    throw new ImportError(file, null, null, `${why}; with --replace that would leave the shop empty, so nothing was changed (salesdash reset --yes empties it on purpose)`);
  }
}

/**
 * Empties the shop in the caller's transaction (which must hold the shop-source lock for emptying): every raw table, the
 * model's predictions (no model is current any more: it was trained on the old data; its run stays recorded),
 * the snapshots of segment movement (and the person keys they index) and the published RFM (a new, empty
 * generation), so the dashboard shows the empty shop. DELETE rather than TRUNCATE for the snapshots: readers
 * go on reading the old ones until this transaction commits. Returns what was deleted.
 */
export async function emptyShop(tx: Tx): Promise<{ orders: number; customers: number }> {
  const [counts] = await tx<{ orders: number; customers: number }[]>`
    select (select count(*) from raw.orders)::int as orders,
           (select count(distinct customer_unique_id) from raw.customers)::int as customers`;
  await tx`truncate ${tx(await rawTableNames(tx))}`;
  await tx`delete from salesdash.predictions`;
  await tx`update salesdash_internal.model_runs set is_current = false where is_current`;
  await tx`delete from salesdash_internal.rfm_snapshots`;
  await tx`delete from salesdash_internal.people`;
  await tx`select salesdash.refresh_rfm()`;
  await markShopSource(tx, 'empty', null);
  await tx`update salesdash_internal.shop_source set emptied_count = emptied_count + 1`;
  return counts!;
}

/** `salesdash reset`: empties the shop on purpose, in one transaction. */
export async function resetShop(sql: Sql): Promise<{ orders: number; customers: number; was: ShopSource }> {
  return sql.begin(async (tx) => {
    const was = await lockShopSource(tx, { emptying: true });
    const deleted = await emptyShop(tx);
    return { ...deleted, was };
  });
}
