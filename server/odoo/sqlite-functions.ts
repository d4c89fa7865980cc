import type { DataSource } from 'typeorm';

interface SqliteHandle {
  function(name: string, options: { deterministic: boolean; varargs?: boolean }, fn: (...args: unknown[]) => unknown): unknown;
}

const registered = new WeakSet<object>();
const cache = new Map<string, RegExp>();

/**
 * A LIKE pattern as a RegExp with PostgreSQL's rules: % any run, _ one character, backslash
 * escapes the next character; `i` folds case Unicode-wide (PostgreSQL ILIKE does, SQLite's LIKE
 * only folds ASCII and is never case-sensitive).
 */
export function likeToRegExp(pattern: string, insensitive: boolean): RegExp {
  const key = `${insensitive ? 'i' : 's'}${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let src = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\' && i + 1 < chars.length) src += escapeRe(chars[++i]);
    else if (c === '%') src += '[\\s\\S]*';
    else if (c === '_') src += '[\\s\\S]';
    else src += escapeRe(c);
  }
  const re = new RegExp(`^${src}$`, insensitive ? 'iu' : 'u');
  if (cache.size > 500) cache.clear();
  cache.set(key, re);
  return re;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** odoo_like(value, pattern, insensitive) → 1, 0, or NULL for a NULL value. */
function odooLike(value: unknown, pattern: unknown, insensitive: unknown): number | null {
  if (value === null || value === undefined || pattern === null || pattern === undefined) return null;
  return likeToRegExp(String(pattern), insensitive === 1 || insensitive === 1n).test(String(value)) ? 1 : 0;
}

/**
 * Registers odoo_like() on the embedded SQLite connection. TypeORM's better-sqlite3 driver keeps a
 * single connection, so once per DataSource is enough; PostgreSQL needs nothing.
 */
export function registerSqliteFunctions(ds: DataSource): void {
  if (ds.options.type !== 'better-sqlite3') return;
  const handle = (ds.driver as unknown as { databaseConnection: SqliteHandle }).databaseConnection;
  if (registered.has(handle)) return;
  handle.function('odoo_like', { deterministic: true }, odooLike);
  registered.add(handle);
}
