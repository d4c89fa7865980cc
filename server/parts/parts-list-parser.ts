/**
 * Reads one LogiKal parts list (an untrusted SQLite 3 file) and extracts the selected elevation's
 * summary, its glass rows and its parts counts. Follows reliability.md §B: private read-only copy,
 * defensive PRAGMAs and quick_check first, schema checked before any query touches it, constant SQL
 * with bound values only, lowered limits, wall-clock interrupt, cleanup on every path.
 */
import * as fs from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import sqlite3 from 'sqlite3';
import { PartsListError, tame } from './parts-list-errors';
import { PrivateCopies } from './temp-files';

export { PartsListError } from './parts-list-errors';
export type { PartsListErrorReason } from './parts-list-errors';

export interface ParsedElevation {
  autoDescription: string | null;
  autoDescriptionShort: string | null;
  widthOut: number | null;
  widthUnit: string | null;
  heightOut: number | null;
  heightUnit: string | null;
  weightOut: number | null;
  weightUnit: string | null;
  areaOutput: number | null;
  areaUnit: string | null;
  systemCode: string | null;
  systemName: string | null;
  systemLongName: string | null;
  colorBaseLong: string | null;
}
export interface ParsedGlass {
  glassId: string;
  name: string | null;
  nameShort: string | null;
  description: string | null;
  configuration: string | null;
  info1: string | null;
  info2: string | null;
  origin: string | null;
  price: number | null;
  widthOutput: number | null;
  heightOutput: number | null;
  fieldNo: string | null;
  areaOffer: number | null;
  spacerGapOutput: number | null;
  modelType: string | null;
}
export interface ParsedPartsList {
  elevation: ParsedElevation;
  glass: ParsedGlass[];
  /** articles + profiles + glass of THIS elevation (rows linked via Insertions.ElevationId). */
  partsCount: number;
  counts: { articles: number; profiles: number; glass: number };
}

export interface PartsListParserOptions {
  tempDir: string;
  /** Told how long each parse took (the parts_list_parse_seconds metric), whatever its outcome. */
  onParsed?: (seconds: number) => void;
  timeoutMs?: number;
  maxBytes?: number;
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const MAX_GLASS_ROWS = 10_000;

// [file column, output key, kind]. Identifiers here are OURS; nothing read from the file is ever
// spliced into SQL text.
type Kind = 'text' | 'num';
const ELEVATION_COLS: ReadonlyArray<[string, keyof ParsedElevation, Kind]> = [
  ['AutoDescription', 'autoDescription', 'text'],
  ['AutoDescriptionShort', 'autoDescriptionShort', 'text'],
  ['Width_Output', 'widthOut', 'num'],
  ['Width_Unit', 'widthUnit', 'text'],
  ['Height_Output', 'heightOut', 'num'],
  ['Height_Unit', 'heightUnit', 'text'],
  ['Weight_Output', 'weightOut', 'num'],
  ['Weight_Unit', 'weightUnit', 'text'],
  ['Area_Output', 'areaOutput', 'num'],
  ['Area_Unit', 'areaUnit', 'text'],
  ['SystemCode', 'systemCode', 'text'],
  ['SystemName', 'systemName', 'text'],
  ['SystemLongName', 'systemLongName', 'text'],
  ['ColorBase_Long', 'colorBaseLong', 'text'],
];
// Only GlassID/InsertionId/Name are required (the predecessor required GlassID+Name on real files);
// the rest are known from third-party readers of real exports but read as NULL when absent.
const GLASS_COLS: ReadonlyArray<[string, Exclude<keyof ParsedGlass, 'glassId'>, Kind]> = [
  ['Name', 'name', 'text'],
  ['NameShort', 'nameShort', 'text'],
  ['Description', 'description', 'text'],
  ['Configuration', 'configuration', 'text'],
  ['Info1', 'info1', 'text'],
  ['Info2', 'info2', 'text'],
  ['Origin', 'origin', 'text'],
  ['Price', 'price', 'num'],
  ['Width_Output', 'widthOutput', 'num'],
  ['Height_Output', 'heightOutput', 'num'],
  ['FieldNo', 'fieldNo', 'text'],
  ['AreaOffer', 'areaOffer', 'num'],
  ['SpacerGap_Output', 'spacerGapOutput', 'num'],
  ['ModelType', 'modelType', 'text'],
];
const REQUIRED_COLS: Readonly<Record<string, readonly string[]>> = {
  Elevations: ['ElevationID', 'Name', 'Alternative', ...ELEVATION_COLS.map((c) => c[0])],
  Glass: ['GlassID', 'InsertionId', 'Name'],
  Insertions: ['InsertionID', 'ElevationId'],
  Articles: ['InsertionId'],
  Profiles: ['InsertionId'],
};
const REQUIRED_TABLES = ['Elevations', 'Glass', 'Insertions'] as const;
const OPTIONAL_TABLES = ['Articles', 'Profiles'] as const; // absent → count 0
const READ_TABLES: readonly string[] = [...REQUIRED_TABLES, ...OPTIONAL_TABLES];

// Lowered sqlite3_limit()s (security.html §1.1). COLUMN and SQL_LENGTH stay generous because they
// also bind while SQLite parses the file's own schema, and real LogiKal tables are wide.
const LIMITS: ReadonlyArray<[number, number]> = [
  [sqlite3.LIMIT_ATTACHED, 0],
  [sqlite3.LIMIT_LENGTH, 1_000_000],
  [sqlite3.LIMIT_SQL_LENGTH, 1_000_000],
  [sqlite3.LIMIT_EXPR_DEPTH, 100],
  [sqlite3.LIMIT_COMPOUND_SELECT, 3],
  [sqlite3.LIMIT_VDBE_OP, 250_000],
  [sqlite3.LIMIT_FUNCTION_ARG, 8],
  [sqlite3.LIMIT_LIKE_PATTERN_LENGTH, 50],
  [sqlite3.LIMIT_VARIABLE_NUMBER, 10],
  [sqlite3.LIMIT_TRIGGER_DEPTH, 1],
  [sqlite3.LIMIT_WORKER_THREADS, 0],
];

type Row = Record<string, unknown>;

export class PartsListParser {
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly onParsed: (seconds: number) => void;
  private readonly copies: PrivateCopies;

  constructor(opts: PartsListParserOptions) {
    this.copies = new PrivateCopies(opts.tempDir);
    this.onParsed = opts.onParsed ?? (() => {});
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
    if (!(this.timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
  }

  async parse(bytes: Buffer, elevationName: string): Promise<ParsedPartsList> {
    if (bytes.length === 0) throw new PartsListError('empty_file', 'Parts list file is empty (0 bytes)');
    if (bytes.length > this.maxBytes) {
      throw new PartsListError('too_large', `Parts list is ${bytes.length} bytes, limit ${this.maxBytes}`);
    }
    if (bytes.length < 100 || !bytes.subarray(0, 16).equals(MAGIC)) {
      throw new PartsListError('not_sqlite', 'Parts list is not an SQLite 3 file (bad magic header)');
    }
    const deadline = Date.now() + this.timeoutMs;
    let db: sqlite3.Database | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      db?.interrupt();
    }, this.timeoutMs);
    const check = (): void => {
      if (timedOut || Date.now() > deadline) {
        timedOut = true;
        throw new PartsListError('timeout', `Parsing the parts list took longer than ${this.timeoutMs} ms`);
      }
    };
    let file: string | undefined;
    const started = process.hrtime.bigint();
    try {
      // Our own file name: nothing from LogiKal (names, GUIDs) ever reaches the file system.
      file = await this.copies.write(bytes);
      check();
      db = await openReadOnly(file);
      check();
      return await readPartsList(db, elevationName, check);
    } catch (err) {
      throw classify(err, timedOut, this.timeoutMs);
    } finally {
      clearTimeout(timer);
      if (db) await closeQuietly(db);
      if (file) await fs.unlink(file).catch(ignoreMissing);
      this.onParsed(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}

/**
 * Why `immutable=1`: LogiKal's exports are WAL-mode files (header bytes 18/19 = 2). A plain
 * `mode=ro` open of a WAL file still creates `-wal` and `-shm` siblings and takes locks. The API
 * ships only the main file (already checkpointed: no WAL content exists to be missed), and our copy
 * is private and never written, so promising SQLite "this file cannot change" is true; it then reads
 * the main file only, creates no siblings, and takes no locks.
 */
function openReadOnly(file: string): Promise<sqlite3.Database> {
  const uri = `${pathToFileURL(file).href}?mode=ro&immutable=1`;
  return new Promise((resolve, reject) => {
    const db: sqlite3.Database = new sqlite3.Database(uri, sqlite3.OPEN_READONLY | sqlite3.OPEN_URI, (err) => {
      if (err) {
        reject(err);
        return;
      }
      try {
        for (const [id, value] of LIMITS) db.configure('limit', id, value);
      } catch (e) {
        reject(e);
        return;
      }
      resolve(db);
    });
  });
}

function closeQuietly(db: sqlite3.Database): Promise<void> {
  return new Promise((resolve) => db.close(() => resolve()));
}

function all(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<Row[]> {
  return new Promise((resolve, reject) => db.all(sql, params, (err: Error | null, rows: Row[]) => (err ? reject(err) : resolve(rows))));
}

function exec(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (err: Error | null) => (err ? reject(err) : resolve())));
}

async function readPartsList(db: sqlite3.Database, elevationName: string, check: () => void): Promise<ParsedPartsList> {
  // Before anything reads the schema: no unsafe functions from views/triggers/defaults, cell sanity
  // checks, no memory-mapped I/O; query_only as a second lock on the read-only door.
  await exec(db, 'PRAGMA trusted_schema=OFF; PRAGMA cell_size_check=ON; PRAGMA mmap_size=0; PRAGMA query_only=ON;');
  const qc = await all(db, 'PRAGMA quick_check(20)');
  check();
  const qcText = qc.map((r) => String(Object.values(r)[0]));
  if (qcText.length !== 1 || qcText[0] !== 'ok') {
    throw new PartsListError('corrupt', `quick_check failed: ${tame(qcText.slice(0, 3).join('; '))}`);
  }
  const present = await checkSchema(db);
  check();
  const columns = await tableColumns(db, present);
  check();
  checkColumns(present, columns);

  const elevSql = `SELECT ElevationID AS id, ${ELEVATION_COLS.map((c, i) => `${c[0]} AS c${i}`).join(', ')}
    FROM Elevations WHERE Name = ? COLLATE BINARY AND Alternative = 0 ORDER BY ElevationID LIMIT 2`;
  const elevRows = await all(db, elevSql, [elevationName]);
  check();
  if (elevRows.length === 0) {
    const [cnt] = await all(db, 'SELECT COUNT(*) AS n FROM Elevations');
    const empty = Number(cnt?.['n'] ?? 0) === 0;
    throw new PartsListError(
      'no_matching_elevation',
      empty ? 'Elevations table is empty' : `No Elevations row with Name = "${tame(elevationName, 80)}" and Alternative = 0`,
    );
  }
  if (elevRows.length > 1) {
    throw new PartsListError(
      'ambiguous_elevation',
      `More than one Elevations row with Name = "${tame(elevationName, 80)}" and Alternative = 0`,
    );
  }
  const er = elevRows[0];
  const elevation = Object.fromEntries(
    ELEVATION_COLS.map(([, key, kind], i) => [key, kind === 'num' ? toNum(er[`c${i}`]) : toText(er[`c${i}`])]),
  ) as unknown as ParsedElevation;
  const elevationId = er['id'];

  const ofElevation = 'InsertionId IN (SELECT InsertionID FROM Insertions WHERE ElevationId = ?)';
  const glassCols = columns.get('Glass') ?? new Set<string>();
  const glassSql = `SELECT GlassID AS id, ${GLASS_COLS.map((c, i) => `${glassCols.has(c[0].toLowerCase()) ? c[0] : 'NULL'} AS c${i}`).join(
    ', ',
  )}
    FROM Glass WHERE GlassID IS NOT NULL AND ${ofElevation} ORDER BY GlassID LIMIT ${MAX_GLASS_ROWS + 1}`;
  const glassRows = await all(db, glassSql, [elevationId]);
  check();
  if (glassRows.length > MAX_GLASS_ROWS) throw new PartsListError('too_large', `More than ${MAX_GLASS_ROWS} glass rows`);
  const glass = glassRows.map(
    (g) =>
      ({
        glassId: toText(g['id']) ?? '',
        ...Object.fromEntries(GLASS_COLS.map(([, key, kind], i) => [key, kind === 'num' ? toNum(g[`c${i}`]) : toText(g[`c${i}`])])),
      }) as ParsedGlass,
  );

  // Both counts in one statement (one trip to the worker thread); an absent table counts 0.
  const countOf = (table: 'Articles' | 'Profiles'): string =>
    present.has(table) ? `(SELECT COUNT(*) FROM ${table} WHERE ${ofElevation})` : '0';
  const countParams = (['Articles', 'Profiles'] as const).filter((t) => present.has(t)).map(() => elevationId);
  const [counted] = await all(db, `SELECT ${countOf('Articles')} AS articles, ${countOf('Profiles')} AS profiles`, countParams);
  check();
  const articles = Number(counted?.['articles'] ?? 0);
  const profiles = Number(counted?.['profiles'] ?? 0);
  // partsCount = article rows + profile rows + glass rows whose InsertionId belongs to this
  // elevation's Insertions (rows, not quantities). The predecessor summed COUNT(*) over every table
  // in the file (552 for a P01), which counted labour times, colours, report variables, ...
  return { elevation, glass, partsCount: articles + profiles + glass.length, counts: { articles, profiles, glass: glass.length } };
}

/** Tables we query must be real tables, and not carry triggers. Returns the ones present. */
async function checkSchema(db: sqlite3.Database): Promise<Set<string>> {
  const rows = await all(db, 'SELECT type, name, tbl_name FROM sqlite_master LIMIT 100000');
  const canonical = new Map(READ_TABLES.map((t) => [t.toLowerCase(), t]));
  const present = new Set<string>();
  for (const r of rows) {
    const type = String(r['type']);
    const name = canonical.get(String(r['name']).toLowerCase());
    const on = canonical.get(String(r['tbl_name']).toLowerCase());
    if (name !== undefined && type !== 'index' && type !== 'trigger') {
      if (type !== 'table') throw new PartsListError('hostile_schema', `${name} is a ${tame(type, 20)}, not a table`);
      present.add(name);
    }
    if (type === 'trigger' && on !== undefined) {
      throw new PartsListError('hostile_schema', `Trigger "${tame(String(r['name']), 80)}" on ${on}`);
    }
  }
  const missing = REQUIRED_TABLES.filter((t) => !present.has(t));
  if (missing.length > 0) throw new PartsListError('missing_table', `Required table(s) not found: ${missing.join(', ')}`);
  return present;
}

/**
 * The columns of the tables we read (lower-cased), by table, in one statement: the names are our
 * constants, bound, and only those checkSchema found to be real tables.
 */
async function tableColumns(db: sqlite3.Database, present: Set<string>): Promise<Map<string, Set<string>>> {
  const tables = READ_TABLES.filter((t) => present.has(t));
  const rows = await all(db, `SELECT arg AS t, name FROM pragma_table_info WHERE arg IN (${tables.map(() => '?').join(', ')})`, tables);
  const columns = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const r of rows) columns.get(String(r['t']))?.add(String(r['name']).toLowerCase());
  return columns;
}

function checkColumns(present: Set<string>, columns: Map<string, Set<string>>): void {
  const problems: string[] = [];
  for (const table of READ_TABLES) {
    if (!present.has(table)) continue;
    const have = columns.get(table) ?? new Set<string>();
    // SQLite identifiers are case-insensitive, so `systemcode` satisfies `SystemCode`.
    const missing = (REQUIRED_COLS[table] ?? []).filter((c) => !have.has(c.toLowerCase()));
    if (missing.length > 0) problems.push(`Missing columns in ${table} table: ${missing.join(', ')}`);
  }
  if (problems.length > 0) throw new PartsListError('missing_column', problems.join('; '));
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}

function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'bigint') return v.toString();
  return null; // BLOB where text belongs: nothing sensible to show
}

/** REAL/INTEGER as is; TEXT like "3100", " 2,245 " (German decimal comma) or "1.5e3" parsed; else null. */
function toNum(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'string') return null;
  let s = v.trim();
  if (s === '' || s.length > 64) return null;
  if (/^[-+]?\d+,\d+$/.test(s)) s = s.replace(',', '.');
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function classify(err: unknown, timedOut: boolean, timeoutMs: number): unknown {
  if (err instanceof PartsListError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_INTERRUPT' || (timedOut && typeof code === 'string' && code.startsWith('SQLITE_'))) {
    return new PartsListError('timeout', `Parsing the parts list took longer than ${timeoutMs} ms`);
  }
  switch (code) {
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
    case 'SQLITE_FORMAT':
    case 'SQLITE_RANGE':
    case 'SQLITE_MISMATCH':
    case 'SQLITE_SCHEMA':
      return new PartsListError('corrupt', `Corrupt parts list: ${tame(msg)}`);
    case 'SQLITE_TOOBIG':
    case 'SQLITE_NOMEM':
      return new PartsListError('too_large', `Parts list exceeds parser limits: ${tame(msg)}`);
    case 'SQLITE_ERROR':
      // Our SQL is constant and columns were checked, so errors here come from the file's schema.
      return /unsafe use/i.test(msg)
        ? new PartsListError('hostile_schema', `Unsafe schema: ${tame(msg)}`)
        : new PartsListError('corrupt', `Unreadable parts list: ${tame(msg)}`);
    default:
      return err; // environment (fs errors, SQLITE_CANTOPEN/IOERR/FULL): retryable, not the file's fault
  }
}
