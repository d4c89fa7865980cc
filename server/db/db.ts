import type { DataSource, EntityManager } from 'typeorm';
import { createDataSource, type DatabaseTarget } from '../../ormconfig';
import { Semaphore } from '../semaphore';

export type Dialect = 'postgres' | 'sqlite';

/** deadlock_detected, serialization_failure: the transaction did nothing and may simply run again. */
const DEADLOCK_CODES = new Set(['40P01', '40001']);

const pgCode = (err: unknown): string | undefined => {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * The one way services reach the database.
 *
 * - `write(fn)` is one transaction. On SQLite exactly one write runs at a time, plain or not, so no
 *   write ever lands inside another caller's transaction (TypeORM's better-sqlite3 driver shares
 *   one connection, where a second BEGIN would silently become a savepoint of the first).
 * - `reader` never waits for a writer and never sees uncommitted data: on SQLite a second,
 *   read-only connection (WAL gives it the last commit); on PostgreSQL the pool.
 * - `exclusive(fn)` lends the writer connection alone (migrations, schema repair): on SQLite no
 *   write runs meanwhile.
 *
 * Nothing slow belongs inside `write`: no network, no parsing, only the statements of one unit.
 */
export class Db {
  private constructor(
    readonly dialect: Dialect,
    private readonly writer: DataSource,
    private readonly readerSource: DataSource,
    private readonly turns: Semaphore | null,
  ) {}

  static async open(target: DatabaseTarget): Promise<Db> {
    const writer = createDataSource(target);
    await writer.initialize();
    if (target.type === 'postgres') return new Db('postgres', writer, writer, null);
    try {
      const reader = createDataSource(target, { readonly: true });
      await reader.initialize();
      return new Db('sqlite', writer, reader, new Semaphore(1));
    } catch (err) {
      await writer.destroy().catch(() => undefined);
      throw err;
    }
  }

  /** For reads outside any write: Odoo models, run status, the sync's change tests. */
  get reader(): EntityManager {
    return this.readerSource.manager;
  }

  /** The read connection's DataSource (per-connection SQL functions are registered on it). */
  get readerDataSource(): DataSource {
    return this.readerSource;
  }

  /**
   * The writer DataSource, for what needs TypeORM's own machinery on it (migrations, schema
   * introspection). Services write through `write()`.
   */
  get dataSource(): DataSource {
    return this.writer;
  }

  /**
   * One unit of writes in its own transaction; on SQLite it waits its turn. On PostgreSQL a
   * transaction PostgreSQL chose as a deadlock's victim is rolled back whole, so it is run again
   * (twice at most, after a short random pause): two instances storing the same files in another
   * order is not an error of either.
   */
  async write<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    if (this.turns) return this.turns.run(() => this.writer.transaction(fn));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.writer.transaction(fn);
      } catch (err) {
        if (attempt >= 3 || !DEADLOCK_CODES.has(pgCode(err) ?? '')) throw err;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    }
  }

  /** The writer connection alone, outside a transaction; on SQLite every write waits meanwhile. */
  exclusive<T>(fn: (ds: DataSource) => Promise<T>): Promise<T> {
    if (!this.turns) return fn(this.writer);
    return this.turns.run(() => fn(this.writer));
  }

  /** true when the database answers a trivial query (for /health). */
  async answers(): Promise<boolean> {
    try {
      await this.reader.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.readerSource !== this.writer) await this.readerSource.destroy().catch(() => undefined);
    if (this.writer.isInitialized) await this.writer.destroy();
  }
}
