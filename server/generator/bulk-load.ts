// Loading millions of rows is mostly index and foreign-key upkeep: every COPYed order would fire a foreign-key
// lookup and update three indexes. When the tables are being refilled from empty it is much faster to drop the
// foreign keys and secondary indexes, COPY, and build them again in bulk (a sort per index, one anti-join per
// foreign key). All of it happens inside the caller's transaction: PostgreSQL DDL is transactional, so if
// anything fails the indexes and constraints come back with the rollback, never left missing.
// Definitions are read from the catalog, so indexes other migrations add later are handled too.
import type postgres from 'postgres';

type Tx = postgres.TransactionSql<{}>;

export interface SavedStructures {
  indexes: { name: string; definition: string }[];
  foreignKeys: { table: string; name: string; definition: string }[];
}

export async function dropIndexesAndForeignKeys(tx: Tx, tables: readonly string[]): Promise<SavedStructures> {
  const foreignKeys = await tx<{ table: string; name: string; definition: string }[]>`
    select conrelid::regclass::text as table, quote_ident(conname) as name, pg_get_constraintdef(oid) as definition
    from pg_constraint
    where contype = 'f' and (conrelid = any(${tables}::regclass[]) or confrelid = any(${tables}::regclass[]))
    order by conrelid::regclass::text, conname`;
  // Indexes behind a constraint (primary keys, unique constraints) stay: foreign keys and ON CONFLICT need them.
  const indexes = await tx<{ name: string; definition: string }[]>`
    select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i
    where i.indrelid = any(${tables}::regclass[])
      and not exists (select from pg_constraint c where c.conindid = i.indexrelid)
    order by 1`;
  // The names and definitions come from PostgreSQL's own catalog (quoted by regclass/quote_ident and
  // pg_get_*def), never from user input, so running them as statements is safe.
  for (const fk of foreignKeys) await tx.unsafe(`alter table ${fk.table} drop constraint ${fk.name}`);
  for (const index of indexes) await tx.unsafe(`drop index ${index.name}`);
  return { indexes, foreignKeys };
}

export async function restoreIndexesAndForeignKeys(tx: Tx, saved: SavedStructures): Promise<void> {
  for (const index of saved.indexes) await tx.unsafe(index.definition);
  for (const fk of saved.foreignKeys) await tx.unsafe(`alter table ${fk.table} add constraint ${fk.name} ${fk.definition}`);
}
