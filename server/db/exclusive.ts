import type { DataSource, EntityManager } from 'typeorm';
import { Semaphore } from '../semaphore';

/**
 * TypeORM's better-sqlite3 driver runs everything on one shared connection, so a second
 * transaction started while one is open silently nests into it as a savepoint (and a schema
 * repair would run inside a sync's transaction). On SQLite, transactions therefore take turns;
 * PostgreSQL gives each its own pooled connection and needs nothing.
 */
const turns = new WeakMap<DataSource, Semaphore>();

export function exclusive<T>(ds: DataSource, work: () => Promise<T>): Promise<T> {
  if (ds.options.type !== 'better-sqlite3') return work();
  let turn = turns.get(ds);
  if (!turn) turns.set(ds, (turn = new Semaphore(1)));
  return turn.run(work);
}

/** ds.transaction(), taking its turn on SQLite. */
export function transaction<T>(ds: DataSource, fn: (m: EntityManager) => Promise<T>): Promise<T> {
  return exclusive(ds, () => ds.transaction(fn));
}
