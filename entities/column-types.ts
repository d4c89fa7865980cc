import { getConfig } from '../server/config';

/**
 * The two column types PostgreSQL and SQLite spell differently. Resolved once, when the entities
 * load, from the configured database; every other column uses a type both drivers share.
 */
const postgres = getConfig().database.type === 'postgres';

/** Raw bytes: thumbnails and parts-list files. */
export const BINARY = postgres ? 'bytea' : 'blob';
/** A point in time, stored UTC. */
export const TIMESTAMP = postgres ? 'timestamptz' : 'datetime';
