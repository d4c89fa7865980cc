/**
 * Writes realistic LogiKal parts-list SQLite files (the thing `GET /elevations/selected/parts-list`
 * returns base64-encoded) from parts-list-model.ts, plus the hostile variants the emulator serves
 * under fault injection (`corruptPartsList`). WAL-mode main file, page size 4096, as LogiKal ships them.
 */
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildModel, elevationDefs, int, pick, prng, type Model, type PartsListSpec } from './parts-list-model';

export type { PartsListSpec } from './parts-list-model';

export type HostileKind =
  | 'not-sqlite'
  | 'truncated'
  | 'empty-file'
  | 'missing-glass'
  | 'lowercase-columns'
  | 'empty-elevations'
  | 'oversize'
  | 'elevations-view'
  | 'trigger'
  | 'name-quotes'
  | 'no-matching-row'
  | 'bit-flips';

/** Name used by the 'name-quotes' variant: the spec name plus quotes, `../` and SQL-ish noise. */
export function nameQuotesName(base: string): string {
  return `${base} 'Süd' "A" ../../etc/passwd; DROP TABLE Glass;--`;
}

// ---------------------------------------------------------------------------------------------
// Writing

const q = (id: string): string => `"${id.replace(/"/g, '""')}"`;

interface WriteOpts {
  lowerElevationCols?: boolean;
  elevationsAsView?: boolean;
  trigger?: boolean;
  dropGlass?: boolean;
}

/**
 * Runs `fn` on a private SQLite file — a copy of `bytes`, or a new one — then checkpoints and
 * returns the main file only, as LogiKal ships it. The temp dir is always removed.
 */
export function rewriteSqlite(bytes: Buffer | null, fn: (db: Database.Database) => void): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lk-parts-gen-'));
  try {
    const file = path.join(dir, 'parts.db');
    if (bytes) fs.writeFileSync(file, bytes);
    const db = new Database(file);
    try {
      fn(db);
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function writeDb(model: Model, targetBytes: number | undefined, seed: number, o: WriteOpts = {}): Buffer {
  return rewriteSqlite(null, (db) => {
    db.pragma('page_size = 4096');
    db.pragma('journal_mode = WAL'); // real exports are WAL-mode files (header bytes 18/19 = 2)
    db.pragma('synchronous = OFF'); // throwaway file: durability buys nothing here
    db.transaction(() => {
      for (const tb of model.tables) {
        if (o.dropGlass && tb.name === 'Glass') continue;
        const isElev = tb.name === 'Elevations';
        const name = isElev && o.elevationsAsView ? 'ElevationsData' : tb.name;
        const cols = tb.cols.map((c) => (isElev && o.lowerElevationCols ? c.toLowerCase() : c));
        db.exec(`CREATE TABLE ${q(name)} (${cols.map((c, i) => `${q(c)} ${tb.types[i]}`).join(', ')})`);
        const ins = db.prepare(`INSERT INTO ${q(name)} VALUES (${cols.map(() => '?').join(', ')})`);
        for (const row of tb.rows) ins.run(...row);
      }
      if (o.elevationsAsView) {
        db.exec(`CREATE VIEW Elevations AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000)
          SELECT e.* FROM ElevationsData e, n WHERE n.i = 1 OR randomblob(1000000) IS NULL`);
      }
      if (o.trigger) {
        db.exec(`CREATE TRIGGER Elevations_audit AFTER INSERT ON Elevations BEGIN
          DELETE FROM Glass; UPDATE Elevations SET Name = randomblob(16); END`);
      }
      pad(db, targetBytes, seed);
    })();
  });
}

function pad(db: Database.Database, targetBytes: number | undefined, seed: number): void {
  db.exec('CREATE TABLE Pictures (PictureID INTEGER PRIMARY KEY, Name TEXT, Data BLOB)');
  if (!targetBytes) return;
  const pages = db.pragma('page_count', { simple: true }) as number;
  // Overflow pages carry 4092 payload bytes each; aim a little below target to absorb b-tree overhead.
  const deficit = Math.floor(((targetBytes - pages * 4096) * 4092) / 4096) - 8192;
  if (deficit <= 0) return;
  const bytes = randomBytes(deficit, seed);
  const ins = db.prepare('INSERT INTO Pictures (Name, Data) VALUES (?, ?)');
  const chunk = 256 * 1024;
  for (let off = 0, i = 1; off < deficit; off += chunk, i++) ins.run(`Bild${i}.png`, bytes.subarray(off, Math.min(deficit, off + chunk)));
}

function randomBytes(n: number, seed: number): Buffer {
  const words = new Uint32Array(Math.ceil(n / 4));
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return Buffer.from(words.buffer, 0, n);
}

export function generatePartsList(spec: PartsListSpec): Buffer {
  return writeDb(buildModel(spec), spec.targetBytes, spec.seed);
}

// ---------------------------------------------------------------------------------------------
// Hostile variants

export function generateHostilePartsList(kind: HostileKind, spec: PartsListSpec): Buffer {
  switch (kind) {
    case 'not-sqlite':
      return Buffer.from('<html><head><title>502 Bad Gateway</title></head><body>Service unavailable</body></html>\n'.repeat(8));
    case 'empty-file':
      return Buffer.alloc(0);
    case 'truncated': {
      const b = generatePartsList(spec);
      return b.subarray(0, Math.floor(b.length * 0.45) - 1234); // mid-download cut, not page-aligned
    }
    case 'oversize':
      return generatePartsList({ ...spec, targetBytes: 10.5 * 1024 * 1024 });
    case 'missing-glass':
      return writeDb(buildModel(spec), spec.targetBytes, spec.seed, { dropGlass: true });
    case 'lowercase-columns':
      return writeDb(buildModel(spec), spec.targetBytes, spec.seed, { lowerElevationCols: true });
    case 'elevations-view':
      return writeDb(buildModel(spec), spec.targetBytes, spec.seed, { elevationsAsView: true });
    case 'trigger':
      return writeDb(buildModel(spec), spec.targetBytes, spec.seed, { trigger: true });
    case 'empty-elevations':
      return writeDb(buildModel(spec, []), spec.targetBytes, spec.seed);
    case 'name-quotes':
      return generatePartsList({
        ...spec,
        elevationName: nameQuotesName(spec.elevationName),
        decoyNames: [...(spec.decoyNames ?? []), spec.elevationName, `${spec.elevationName} 'Süd'`],
      });
    case 'no-matching-row': {
      // Only an alternative carries the name, and a decoy that a LIKE '%name%' would match.
      const r = prng(spec.seed);
      const defs = elevationDefs({ ...spec, alternatives: 1, decoyNames: [`${spec.elevationName}0`] }, r).slice(1);
      return writeDb(buildModel(spec, defs), spec.targetBytes, spec.seed);
    }
    case 'bit-flips':
      return flipBits(generatePartsList(spec), spec.seed);
  }
}

const BTREE_PAGE_TYPES = new Set([0x02, 0x05, 0x0a, 0x0d]);

/** Flips bytes inside b-tree page headers/cell areas until SQLite's own quick_check objects. */
function flipBits(src: Buffer, seed: number): Buffer {
  const r = prng(seed ^ 0x5eed);
  const b = Buffer.from(src);
  const pageSize = 4096;
  const btreePages: number[] = [];
  for (let p = 1; p * pageSize < b.length; p++) if (BTREE_PAGE_TYPES.has(b[p * pageSize])) btreePages.push(p);
  for (let round = 0; round < 50; round++) {
    for (let k = 0; k < 6; k++) {
      const page = pick(r, btreePages) * pageSize;
      const off = page + (k % 2 === 0 ? int(r, 1, 23) : int(r, 24, pageSize - 1)); // header/cell pointers, then content
      b[off] = b[off] ^ (1 << int(r, 0, 7));
    }
    if (!passesQuickCheck(b)) return b;
  }
  throw new Error('bit-flips: could not produce a corrupt file');
}

function passesQuickCheck(bytes: Buffer): boolean {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lk-parts-chk-'));
  try {
    const file = path.join(dir, 'c.db');
    fs.writeFileSync(file, bytes);
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
      return rows.length === 1 && rows[0]?.quick_check === 'ok';
    } finally {
      db.close();
    }
  } catch {
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
