/**
 * The two column types PostgreSQL and SQLite spell differently. Entities use PostgreSQL's
 * spelling; the DataSource maps them to SQLite's when it is built for SQLite (ormconfig.ts), so
 * no entity depends on configuration and one process can open both dialects.
 */

/** Raw bytes: stored files (parts lists, thumbnails). */
export const BINARY = 'bytea';
/** A point in time, stored UTC. */
export const TIMESTAMP = 'timestamptz';

/** How SQLite spells the types above. */
export const SQLITE_SPELLING: Readonly<Record<string, string>> = { [BINARY]: 'blob', [TIMESTAMP]: 'datetime' };
