// Loading millions of rows is mostly index and constraint upkeep: every COPYed order would fire a foreign-key
// lookup and insert into three B-trees at random places (random-looking ids), each first touch of a page also
// writing a full page image to the WAL. When the tables are refilled from empty it is much faster to drop keys,
// foreign keys and indexes, COPY, and build them again in bulk (a sort per index, one anti-join per foreign
// key). All of it happens inside the caller's transaction: PostgreSQL DDL is transactional, so if anything
// fails the indexes and constraints come back with the rollback, never left missing.
// Definitions are read from the catalog, so indexes and constraints other migrations add later are handled too.
import type postgres from 'postgres';

type Tx = postgres.TransactionSql<{}>;

interface Constraint {
  table: string;
  name: string;
  definition: string;
}

export interface SavedStructures {
  keys: Constraint[];
  indexes: { name: string; definition: string }[];
  foreignKeys: Constraint[];
}

export async function dropIndexesAndConstraints(tx: Tx, tables: readonly string[]): Promise<SavedStructures> {
  const foreignKeys = await tx<Constraint[]>`
    select conrelid::regclass::text as table, quote_ident(conname) as name, pg_get_constraintdef(oid) as definition
    from pg_constraint
    where contype = 'f' and (conrelid = any(${tables}::regclass[]) or confrelid = any(${tables}::regclass[]))
    order by 1, 2`;
  // A view grouping by a primary key depends on it (functional dependency): such a key stays in place.
  const keys = await tx<Constraint[]>`
    select conrelid::regclass::text as table, quote_ident(conname) as name, pg_get_constraintdef(c.oid) as definition
    from pg_constraint c
    where contype in ('p', 'u') and conrelid = any(${tables}::regclass[])
      and not exists (
        select from pg_depend d
        where d.refclassid = 'pg_constraint'::regclass and d.refobjid = c.oid and d.classid = 'pg_rewrite'::regclass
      )
    order by 1, 2`;
  const indexes = await tx<{ name: string; definition: string }[]>`
    select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i
    where i.indrelid = any(${tables}::regclass[])
      and not exists (select from pg_constraint c where c.conindid = i.indexrelid)
    order by 1`;
  // The names and definitions come from PostgreSQL's own catalog (quoted by regclass/quote_ident and
  // pg_get_*def), never from user input, so running them as statements is safe.
  for (const fk of foreignKeys) await tx.unsafe(`alter table ${fk.table} drop constraint ${fk.name}`);
  for (const key of keys) await tx.unsafe(`alter table ${key.table} drop constraint ${key.name}`);
  for (const index of indexes) await tx.unsafe(`drop index ${index.name}`);
  return { keys, indexes, foreignKeys };
}

export async function restoreIndexesAndConstraints(tx: Tx, saved: SavedStructures): Promise<void> {
  for (const key of saved.keys) await tx.unsafe(`alter table ${key.table} add constraint ${key.name} ${key.definition}`);
  for (const index of saved.indexes) await tx.unsafe(index.definition);
  for (const fk of saved.foreignKeys) await tx.unsafe(`alter table ${fk.table} add constraint ${fk.name} ${fk.definition}`);
}
