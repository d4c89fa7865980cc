import type { DataSource } from 'typeorm';

/** What better-sqlite3 passes a user function: one SQLite value per argument. */
type SqliteValue = string | number | bigint | Buffer | null;

interface SqliteHandle {
  function(name: string, options: { deterministic: boolean; varargs?: boolean }, fn: (...args: SqliteValue[]) => unknown): unknown;
}

const registered = new WeakSet<object>();
type Token = { kind: 'any' } | { kind: 'one' } | { kind: 'lit'; ch: string };

/** What one cached pattern costs, roughly: its key (UTF-16) plus one small object per token. */
const KEY_BYTES_PER_CHAR = 2;
const TOKEN_BYTES = 48;

/**
 * Compiled patterns, least recently used first, bounded by their size in bytes rather than by
 * count: 500 distinct 1 MB patterns once took a gigabyte of heap. A pattern larger than the whole
 * budget is compiled for its call and never kept.
 */
export class PatternCache {
  private readonly entries = new Map<string, { tokens: Token[]; bytes: number }>();
  private used = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  tokens(pattern: string, insensitive: boolean): Token[] {
    const key = `${insensitive ? 'i' : 's'}${pattern}`;
    const hit = this.entries.get(key);
    if (hit) {
      // Map order is insertion order: re-inserting makes this the most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.tokens;
    }
    const tokens = compile(pattern, insensitive);
    const bytes = key.length * KEY_BYTES_PER_CHAR + tokens.length * TOKEN_BYTES;
    if (bytes > this.maxBytes) return tokens;
    for (const [oldest, entry] of this.entries) {
      if (this.used + bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= entry.bytes;
    }
    this.entries.set(key, { tokens, bytes });
    this.used += bytes;
    return tokens;
  }
}

/**
 * The cache serves one query's rows (odoo_like runs once per row with the same pattern): 1 MiB keeps
 * about 20 patterns of the longest length a domain may use (domain-compiler.ts), or thousands of short ones.
 */
export const LIKE_CACHE_BYTES = 1024 * 1024;
const cache = new PatternCache(LIKE_CACHE_BYTES);

/** How much the process-wide pattern cache holds now (tests, diagnostics). */
export function likeCacheBytes(): number {
  return cache.bytes;
}

function fold(s: string, insensitive: boolean): string[] {
  return [...(insensitive ? s.toLowerCase() : s)];
}

/** A LIKE pattern with PostgreSQL's rules: % any run, _ one character, backslash escapes the next. */
function compile(pattern: string, insensitive: boolean): Token[] {
  const chars = fold(pattern, insensitive);
  const out: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\' && i + 1 < chars.length) out.push({ kind: 'lit', ch: chars[++i] });
    else if (c === '%') {
      if (out[out.length - 1]?.kind !== 'any') out.push({ kind: 'any' });
    } else if (c === '_') out.push({ kind: 'one' });
    else out.push({ kind: 'lit', ch: c });
  }
  return out;
}

/**
 * LIKE matching in O(value × pattern) with the classic last-% backtrack — never a backtracking
 * RegExp, which a pattern such as '%_%_%_%_%!' would turn into an exponential stall of the
 * whole process. `insensitive` folds case Unicode-wide, as PostgreSQL's ILIKE does.
 */
export function likeMatch(value: string, pattern: string, insensitive: boolean): boolean {
  const p = cache.tokens(pattern, insensitive);
  const s = fold(value, insensitive);
  let si = 0;
  let pi = 0;
  let star = -1;
  let resume = 0;
  while (si < s.length) {
    const t = p[pi];
    if (t && (t.kind === 'one' || (t.kind === 'lit' && t.ch === s[si]))) {
      si++;
      pi++;
    } else if (t?.kind === 'any') {
      star = pi++;
      resume = si;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++resume;
    } else return false;
  }
  while (p[pi]?.kind === 'any') pi++;
  return pi === p.length;
}

/** odoo_like(value, pattern, insensitive) → 1, 0, or NULL for a NULL value. */
function odooLike(value: SqliteValue | undefined, pattern: SqliteValue | undefined, insensitive: SqliteValue | undefined): number | null {
  if (value === null || value === undefined || pattern === null || pattern === undefined) return null;
  return likeMatch(String(value), String(pattern), insensitive === 1 || insensitive === 1n) ? 1 : 0;
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
