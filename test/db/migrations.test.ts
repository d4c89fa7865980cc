import { base, configFor, createTestDatabase } from '../helpers/test-env';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, migrate, hasPendingMigrations } from '../../server/db/database';
import type { Db } from '../../server/db/db';
import { MIGRATIONS } from '../../migrations';
import { StoredFilesAndRunTargets1764979200000 } from '../../migrations/1764979200000-StoredFilesAndRunTargets';
import { SaltedApiKeys1765152000000 } from '../../migrations/1765152000000-SaltedApiKeys';
import { fixturesDir } from '../../server/paths';
import { generatePartsList } from '../../emulator/parts-list-generator';
import { demoSpec } from '../parts/parts-oracles';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function withDb(fn: (db: Db) => Promise<void>): Promise<void> {
  const td = await createTestDatabase();
  const db = await openDatabase(configFor(td));
  try {
    await fn(db);
  } finally {
    await db.close();
    await td.drop();
  }
}

/** Undoes the migrations after `migration`, then `migration` itself; returns how many were undone. */
async function undoThrough(db: Db, migration: (typeof MIGRATIONS)[number]): Promise<number> {
  const n = MIGRATIONS.length - MIGRATIONS.indexOf(migration);
  for (let i = 0; i < n; i++) await db.dataSource.undoLastMigration({ transaction: 'each' });
  return n;
}

/** Raw SQL with the dialect's placeholders ($n or ?). */
function sql(db: Db, query: string, params: unknown[] = []): Promise<any[]> {
  const q =
    db.dialect === 'postgres'
      ? query.replace(
          /\?/g,
          (
            (n) => () =>
              `$${++n}`
          )(0),
        )
      : query;
  return db.exclusive((ds) => ds.query(q, params));
}

describe(`migrations on ${base.database.type}`, () => {
  it('go up from empty, down to empty, up again, and leave no drift from the entities', () =>
    withDb(async (db) => {
      const ds = db.dataSource;
      assert.equal(await hasPendingMigrations(db), true);
      const first = await migrate(db);
      assert.equal(first.applied.length, MIGRATIONS.length);
      assert.equal(await hasPendingMigrations(db), false);
      assert.equal((await migrate(db)).applied.length, 0, 'a second run applies nothing');

      const drift = await ds.driver.createSchemaBuilder().log();
      assert.deepEqual(
        drift.upQueries.map((q) => q.query),
        [],
        'schema matches the entities',
      );

      for (const _migration of MIGRATIONS) await ds.undoLastMigration({ transaction: 'each' });
      const runner = ds.createQueryRunner();
      const left: string[] = [];
      for (const m of ds.entityMetadatas) if (await runner.hasTable(m.tableName)) left.push(m.tableName);
      await runner.release();
      assert.deepEqual(left, [], 'down leaves no table behind');

      assert.equal((await migrate(db)).applied.length, MIGRATIONS.length);
      const again = await ds.driver.createSchemaBuilder().log();
      assert.equal(again.upQueries.length, 0);
    }));

  it('moves real parts lists and thumbnails out of the elevation rows and back, byte for byte, with run targets', () =>
    withDb(async (db) => {
      const ds = db.dataSource;
      await migrate(db);
      const undone = await undoThrough(db, StoredFilesAndRunTargets1764979200000); // the schema before stored files
      assert.equal(await hasPendingMigrations(db), true);

      const thumbs = readdirSync(join(fixturesDir(), 'thumbnails'))
        .filter((f) => f.endsWith('.png'))
        .sort()
        .slice(0, 3)
        .map((f) => readFileSync(join(fixturesDir(), 'thumbnails', f)));
      const parts = [1, 2].map((seed) => generatePartsList(demoSpec({ seed, elevationName: `P0${seed}`, targetBytes: 900_000 })));
      assert.ok(
        parts.every((p) => p.length > 500_000),
        'real-sized parts lists',
      );
      const now = db.dialect === 'postgres' ? new Date() : new Date().toISOString().replace('T', ' ').slice(0, 23);
      await sql(
        db,
        "INSERT INTO projects (logikal_id, name, estimated, active) VALUES ('15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'DOS22309', ?, ?)",
        [false, true],
      );
      const [{ id: projectId }] = await sql(db, 'SELECT id FROM projects');
      await sql(
        db,
        "INSERT INTO phases (logikal_id, project_id, name, active) VALUES ('00000000-0000-0000-0000-000000000000', ?, 'Default', ?)",
        [projectId, true],
      );
      const [{ id: phaseId }] = await sql(db, 'SELECT id FROM phases');
      // Four elevations: distinct files, one sharing another's parts list and thumbnail, one with none.
      const rows: Array<{ thumb: Buffer | null; parts: Buffer | null }> = [
        { thumb: thumbs[0], parts: parts[0] },
        { thumb: thumbs[1], parts: parts[1] },
        { thumb: thumbs[0], parts: parts[0] },
        { thumb: null, parts: null },
      ];
      for (const [i, r] of rows.entries()) {
        await sql(
          db,
          `INSERT INTO elevations (logikal_id, phase_id, project_id, name, thumbnail, thumbnail_sha256, parts_list, parts_list_sha256, parts_list_size, parse_status, active)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'success', ?)`,
          [
            `e000000${i}-0000-4000-8000-000000000000`,
            phaseId,
            projectId,
            `P0${i}`,
            r.thumb,
            r.thumb && sha(r.thumb),
            r.parts,
            r.parts && sha(r.parts),
            r.parts?.length ?? null,
            true,
          ],
        );
      }
      await sql(
        db,
        `INSERT INTO sync_runs (kind, target, target_key, state, message, failures, started_at) VALUES
      ('force_project', '{"directory":"Demo Odoo","project":"DOS22309"}', 'project:a', 'succeeded', 'ok', '[]', ?),
      ('force_project', '{"directory":"Demo Odoo","project":"15782e4d-a69c-4ce5-9c17-d3060a039b2d"}', 'project:b', 'failed', 'Superseded by run 1, which syncs the same project', '[]', ?),
      ('nightly', '{"day":"2026-11-30"}', 'nightly:2026-11-30', 'succeeded', '1 of 1 projects synced', '[]', ?)`,
        [now, now, now],
      );

      assert.equal((await migrate(db)).applied.length, undone);
      const files = await sql(db, 'SELECT id, sha256, size, content FROM stored_files ORDER BY id');
      assert.equal(files.length, 4, 'each distinct content stored once (2 thumbnails + 2 parts lists)');
      for (const f of files) assert.equal(sha(Buffer.from(f.content)), f.sha256, 'content matches its hash');
      const els = await sql(
        db,
        `SELECT e.name, t.content AS thumb, p.content AS parts FROM elevations e
      LEFT JOIN stored_files t ON t.id = e.thumbnail_file_id LEFT JOIN stored_files p ON p.id = e.parts_list_file_id ORDER BY e.name`,
      );
      for (const [i, r] of rows.entries()) {
        assert.equal(els[i].name, `P0${i}`);
        assert.deepEqual(els[i].thumb && Buffer.from(els[i].thumb), r.thumb, `P0${i} thumbnail`);
        assert.deepEqual(els[i].parts && Buffer.from(els[i].parts), r.parts, `P0${i} parts list`);
      }
      const runs = await sql(db, 'SELECT target, directory_path, project_ref, superseded_by_id FROM sync_runs ORDER BY id');
      assert.deepEqual(
        runs.map((r) => [r.target, r.directory_path, r.project_ref, r.superseded_by_id === null ? null : Number(r.superseded_by_id)]),
        [
          ['Demo Odoo/DOS22309', 'Demo Odoo', 'DOS22309', null],
          ['Demo Odoo/15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'Demo Odoo', '15782e4d-a69c-4ce5-9c17-d3060a039b2d', 1],
          ['nightly 2026-11-30', null, null, null],
        ],
      );
      const drift = await ds.driver.createSchemaBuilder().log();
      assert.deepEqual(
        drift.upQueries.map((q) => q.query),
        [],
        'schema matches the entities',
      );

      await undoThrough(db, StoredFilesAndRunTargets1764979200000);
      const back = await sql(db, 'SELECT name, thumbnail, parts_list FROM elevations ORDER BY name');
      for (const [i, r] of rows.entries()) {
        assert.deepEqual(back[i].thumbnail && Buffer.from(back[i].thumbnail), r.thumb, `P0${i} thumbnail after down`);
        assert.deepEqual(back[i].parts_list && Buffer.from(back[i].parts_list), r.parts, `P0${i} parts list after down`);
      }
      const targets = await sql(db, 'SELECT target FROM sync_runs ORDER BY id');
      assert.deepEqual(
        targets.map((t) => JSON.parse(t.target)),
        [
          { directory: 'Demo Odoo', project: 'DOS22309' },
          { directory: 'Demo Odoo', project: '15782e4d-a69c-4ce5-9c17-d3060a039b2d' },
          { day: '2026-11-30' },
        ],
      );
      assert.equal((await migrate(db)).applied.length, undone, 'and up again');
      const [{ n }] = await sql(db, 'SELECT COUNT(*) AS n FROM stored_files');
      assert.equal(Number(n), 4);
    }));

  it('drops the clear-text key prefixes and adds the salt column, keeping every hash, and back', () =>
    withDb(async (db) => {
      await migrate(db);
      const undone = await undoThrough(db, SaltedApiKeys1765152000000);
      const generated = 'lkb_' + 'A'.repeat(43);
      const chosen = 'operator-chosen-secret-key';
      const now = db.dialect === 'postgres' ? new Date() : new Date().toISOString().replace('T', ' ').slice(0, 23);
      await sql(db, 'INSERT INTO api_keys (name, key_hash, key_prefix, scopes, created_at) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)', [
        'odoo',
        sha(Buffer.from(generated)),
        generated.slice(0, 8),
        'read',
        now,
        'bootstrap',
        sha(Buffer.from(chosen)),
        chosen.slice(0, 8),
        'read,sync,admin',
        now,
      ]);

      assert.equal((await migrate(db)).applied.length, undone);
      const up = await sql(db, 'SELECT * FROM api_keys ORDER BY id');
      assert.deepEqual(
        up.map((r) => [r.name, r.key_hash, r.key_salt]),
        [
          ['odoo', sha(Buffer.from(generated)), null],
          ['bootstrap', sha(Buffer.from(chosen)), null],
        ],
      );
      assert.ok(
        up.every((r) => !('key_prefix' in r)),
        'no prefix column left',
      );
      const drift = await db.dataSource.driver.createSchemaBuilder().log();
      assert.deepEqual(
        drift.upQueries.map((q) => q.query),
        [],
        'schema matches the entities',
      );

      await undoThrough(db, SaltedApiKeys1765152000000);
      const down = await sql(db, 'SELECT name, key_hash, key_prefix FROM api_keys ORDER BY id');
      assert.deepEqual(
        down.map((r) => [r.name, r.key_prefix]),
        [
          ['odoo', sha(Buffer.from(generated)).slice(0, 8)],
          ['bootstrap', sha(Buffer.from(chosen)).slice(0, 8)],
        ],
        'the old column holds the hash-derived fingerprint, never the clear text again',
      );
      assert.equal((await migrate(db)).applied.length, undone, 'and up again');
    }));
});
