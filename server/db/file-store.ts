import type { EntityManager } from 'typeorm';
import { StoredFile } from '../../entities';
import type { Dialect } from './db';

/**
 * Content-addressed files inside a write: a file is stored once by its sha256 however many
 * elevations share it, and dropped when the last one lets go of it.
 */
export class FileStore {
  constructor(
    private readonly m: EntityManager,
    private readonly dialect: Dialect,
  ) {}

  /** The id of the stored file with this content, storing it if new. */
  async put(bytes: Buffer, sha256: string): Promise<number> {
    // On PostgreSQL a concurrent releaseIfUnused may delete the row between our insert and our
    // read; the share lock pins it once found, and a second round stores it again.
    for (let round = 0; round < 2; round++) {
      await this.m
        .createQueryBuilder()
        .insert()
        .into(StoredFile)
        .values({ sha256, size: bytes.length, content: bytes, createdAt: new Date() })
        .orIgnore()
        .execute();
      const lock = this.dialect === 'postgres' ? ' FOR SHARE' : '';
      const rows = await this.m.query<Array<{ id: number }>>(`SELECT id FROM stored_files WHERE sha256 = ${this.param(1)}${lock}`, [
        sha256,
      ]);
      if (rows.length) return Number(rows[0].id);
    }
    throw new Error(`stored file ${sha256} vanished while being stored`);
  }

  /** Deletes the file unless an elevation still refers to it. */
  async releaseIfUnused(fileId: number): Promise<void> {
    const p = this.param(1);
    if (this.dialect === 'postgres') {
      // Waits for a transaction that just took a reference (its foreign-key check holds a key share).
      await this.m.query(`SELECT id FROM stored_files WHERE id = ${p} FOR UPDATE`, [fileId]);
    }
    await this.m.query(
      `DELETE FROM stored_files WHERE id = ${p} AND NOT EXISTS (SELECT 1 FROM elevations WHERE thumbnail_file_id = ${p} OR parts_list_file_id = ${p})`,
      this.dialect === 'postgres' ? [fileId] : [fileId, fileId, fileId],
    );
  }

  private param(i: number): string {
    return this.dialect === 'postgres' ? `$${i}` : '?';
  }
}
