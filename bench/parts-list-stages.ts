// CPU per parts list, stage by stage, for bench/force-sync.bench.ts: the files a force sync stored, put
// through each step of a download again, one after another, each stage timed with process.cpuUsage
// (every thread of the process: SQLite's parse runs on libuv's pool). Each stage is run ROUNDS times
// and the least is kept: on a shared machine a single round swings by a factor of two.
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sqlite3 from 'sqlite3';
import { IsNull, Not } from 'typeorm';
import { Elevation } from '../entities';
import { loadConfig } from '../server/config';
import { openDatabase, migrate } from '../server/db/database';
import type { Db } from '../server/db/db';
import { NULL_GUID, readPartsListBody, toElevation, toPhase, toProject, type PartsListDownload } from '../server/logikal';
import { PartsListParser, type ParsedPartsList } from '../server/parts/parts-list-parser';
import { PrivateCopies } from '../server/parts/temp-files';
import { MirrorWriter } from '../server/sync/mirror-writer';

export interface StageCpu {
  files: number;
  averageMB: number;
  /** Milliseconds of CPU per parts list. */
  decodeAndHash: number;
  tempCopy: number;
  quickCheck: number;
  queries: number;
  databaseWrite: number;
  identicalFileWrite: number;
}

const ROUNDS = 5;

/** The least CPU per file over ROUNDS runs of `fn` (given the round's number). */
async function cpuPer(n: number, fn: (round: number) => Promise<void>): Promise<number> {
  let least = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const c0 = process.cpuUsage();
    await fn(round);
    const c = process.cpuUsage(c0);
    least = Math.min(least, (c.user + c.system) / 1000 / n);
  }
  return least;
}

/** The parser's first steps alone, on a private copy: open read-only, the defensive pragmas, quick_check. */
async function quickCheck(file: string): Promise<void> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d: sqlite3.Database = new sqlite3.Database(
      `${pathToFileURL(file).href}?mode=ro&immutable=1`,
      sqlite3.OPEN_READONLY | sqlite3.OPEN_URI,
      (err) => (err ? reject(err) : resolve(d)),
    );
  });
  try {
    await new Promise<void>((resolve, reject) =>
      db.exec('PRAGMA trusted_schema=OFF; PRAGMA cell_size_check=ON; PRAGMA mmap_size=0; PRAGMA query_only=ON;', (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    await new Promise<void>((resolve, reject) => db.all('PRAGMA quick_check(20)', (err) => (err ? reject(err) : resolve())));
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

/** The stages for the parts lists stored in `db` (at most `limit`). */
export async function partsListStages(db: Db, limit = 17): Promise<StageCpu> {
  const rows = await db.reader
    .getRepository(Elevation)
    .find({ where: { partsListFileId: Not(IsNull()) }, relations: { partsListFile: true }, order: { id: 'ASC' }, take: limit });
  const n = rows.length;
  const bodies = rows.map((r) =>
    Buffer.from(JSON.stringify({ data: r.partsListFile!.content.toString('base64'), hints: [], warnings: [] })),
  );
  const scratch = mkdtempSync(join(tmpdir(), 'lkb-bench-stages-'));
  try {
    let downloads: PartsListDownload[] = [];
    const decodeAndHash = await cpuPer(n, () => {
      downloads = bodies.map((b) => readPartsListBody(b));
      return Promise.resolve();
    });
    // The parser's own temp-file steps alone: the private copy and its removal.
    const copies = new PrivateCopies(join(scratch, 'copies'));
    const tempCopy = await cpuPer(n, async () => {
      for (const d of downloads) await fs.unlink(await copies.write(d.bytes));
    });
    const copyAndCheck = await cpuPer(n, async () => {
      for (const d of downloads) {
        const file = await copies.write(d.bytes);
        await quickCheck(file);
        await fs.unlink(file);
      }
    });
    const parser = new PartsListParser({ tempDir: join(scratch, 'tmp') });
    let parsed: ParsedPartsList[] = [];
    const parse = await cpuPer(n, async () => {
      parsed = [];
      for (let i = 0; i < n; i++) parsed.push(await parser.parse(downloads[i].bytes, rows[i].name));
    });

    // A scratch database with the same elevation rows, so every file is new to it.
    const target = await openDatabase(loadConfig({ DATA_DIR: join(scratch, 'db'), LOG_LEVEL: 'error' }));
    try {
      await migrate(target);
      const writer = new MirrorWriter(target);
      const project = await writer.project(toProject({ id: randomUUID(), name: 'stages' }, 0), await writer.directory('Bench'));
      const phase = await writer.phase(project.id, toPhase({ id: NULL_GUID, name: '' }, 0));
      // Every round stores new files (one byte past the SQLite header changed: another hash) on new rows.
      const rounds: Array<{ ids: number[]; files: PartsListDownload[] }> = [];
      for (let round = 0; round < ROUNDS; round++) {
        const ids: number[] = [];
        for (const r of rows) ids.push((await writer.elevation(phase, toElevation({ id: randomUUID(), name: r.name }, 0), null)).id);
        const files = downloads.map((d) => {
          const bytes = Buffer.from(d.bytes);
          bytes.writeUInt32BE(round + 1, 200);
          return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
        });
        rounds.push({ ids, files });
      }
      const databaseWrite = await cpuPer(n, async (round) => {
        const { ids, files } = rounds[round];
        for (let i = 0; i < n; i++) await writer.storePartsList(ids[i], files[i].bytes, files[i].sha256, parsed[i], 'bench');
      });
      const identicalFileWrite = await cpuPer(n, async (round) => {
        for (let i = 0; i < n; i++) await writer.touchPartsList(rounds[round].ids[i], 'bench');
      });
      const averageMB = downloads.reduce((s, d) => s + d.bytes.length, 0) / Math.max(1, n) / 1e6;
      const quick = Math.max(0, copyAndCheck - tempCopy);
      return {
        files: n,
        averageMB,
        decodeAndHash,
        tempCopy,
        quickCheck: quick,
        queries: Math.max(0, parse - copyAndCheck),
        databaseWrite,
        identicalFileWrite,
      };
    } finally {
      await target.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
