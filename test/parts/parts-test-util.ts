import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rewriteSqlite } from '../../emulator/parts-list-generator';

/** A fresh directory for one test's parser temp files; the test asserts it ends up empty. */
export function freshDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lk-${prefix}-`));
}

/** The files under dir, in any subdirectory (the parser keeps one private directory per instance, emptied after each parse). */
export function listDir(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => e.name);
}

/** Removes a test's temp dir once it has been checked. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Opens a copy of a generated file with better-sqlite3, lets `fn` change it, returns the new main file. */
export function mutate(bytes: Buffer, fn: (db: Database.Database) => void): Buffer {
  return rewriteSqlite(bytes, fn);
}

/** Runs `fn` on a read-only copy (inspection only). */
export function inspect<T>(bytes: Buffer, fn: (db: Database.Database) => T): T {
  const dir = freshDir('inspect');
  try {
    const file = path.join(dir, 'i.db');
    fs.writeFileSync(file, bytes);
    const db = new Database(file, { readonly: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
