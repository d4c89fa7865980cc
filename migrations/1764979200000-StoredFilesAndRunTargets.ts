import { createHash } from 'node:crypto';
import { Table, TableColumn, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

const PAGE = 16;

/**
 * Parts-list files and thumbnails move out of the elevation rows into `stored_files`, one row per
 * distinct content (sha256); elevations point at them. Sync runs get explicit target columns
 * instead of JSON in `target` and a successor parsed out of a message.
 */
export class StoredFilesAndRunTargets1764979200000 implements MigrationInterface {
  name = 'StoredFilesAndRunTargets1764979200000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const $ = placeholders(pg);
    await q.createTable(
      new Table({
        name: 'stored_files',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
            primaryKeyConstraintName: 'pk_stored_files',
          },
          { name: 'sha256', type: 'varchar', length: '64', isNullable: false },
          { name: 'size', type: 'integer', isNullable: false },
          { name: 'content', type: pg ? 'bytea' : 'blob', isNullable: false },
          { name: 'created_at', type: pg ? 'timestamptz' : 'datetime', isNullable: false },
        ],
        uniques: [{ name: 'uq_stored_files_sha256', columnNames: ['sha256'] }],
      }),
    );
    await q.addColumns('elevations', [
      new TableColumn({ name: 'thumbnail_file_id', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'parts_list_file_id', type: 'integer', isNullable: true }),
    ]);

    const fileId = async (bytes: Buffer): Promise<number> => {
      const sha = createHash('sha256').update(bytes).digest('hex');
      const found = (await q.query(`SELECT id FROM stored_files WHERE sha256 = ${$(1)}`, [sha])) as Array<{ id: number }>;
      if (found.length) return Number(found[0].id);
      await q.query(`INSERT INTO stored_files (sha256, size, content, created_at) VALUES (${$(1)}, ${$(2)}, ${$(3)}, ${$(4)})`, [
        sha,
        bytes.length,
        bytes,
        pg ? new Date() : new Date().toISOString().replace('T', ' ').replace('Z', ''),
      ]);
      const [row] = (await q.query(`SELECT id FROM stored_files WHERE sha256 = ${$(1)}`, [sha])) as Array<{ id: number }>;
      return Number(row.id);
    };
    for (let last = 0; ;) {
      const rows = (await q.query(
        `SELECT id, thumbnail, parts_list FROM elevations WHERE id > ${$(1)} AND (thumbnail IS NOT NULL OR parts_list IS NOT NULL) ORDER BY id LIMIT ${PAGE}`,
        [last],
      )) as Array<{ id: number; thumbnail: Buffer | null; parts_list: Buffer | null }>;
      if (!rows.length) break;
      for (const r of rows) {
        const thumb = r.thumbnail ? await fileId(Buffer.from(r.thumbnail)) : null;
        const parts = r.parts_list ? await fileId(Buffer.from(r.parts_list)) : null;
        await q.query(`UPDATE elevations SET thumbnail_file_id = ${$(1)}, parts_list_file_id = ${$(2)} WHERE id = ${$(3)}`, [
          thumb,
          parts,
          r.id,
        ]);
        last = Number(r.id);
      }
    }
    await q.dropColumns('elevations', ['thumbnail', 'parts_list']);
    await q.createIndices('elevations', [
      new TableIndex({ name: 'ix_elevations_thumbnail_file_id', columnNames: ['thumbnail_file_id'] }),
      new TableIndex({ name: 'ix_elevations_parts_list_file_id', columnNames: ['parts_list_file_id'] }),
    ]);
    await q.createForeignKeys('elevations', fileForeignKeys());

    await q.addColumns('sync_runs', [
      new TableColumn({ name: 'directory_path', type: 'varchar', length: '1024', isNullable: true }),
      new TableColumn({ name: 'project_ref', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn({ name: 'superseded_by_id', type: 'integer', isNullable: true }),
    ]);
    await eachRun(q, $, async (r) => {
      const t = parseTarget(r.target);
      const successor = /^Superseded by run (\d+),/.exec(r.message ?? '');
      const directory = t.directory ?? null;
      const project = t.project ?? null;
      await q.query(
        `UPDATE sync_runs SET directory_path = ${$(1)}, project_ref = ${$(2)}, superseded_by_id = ${$(3)}, target = ${$(4)} WHERE id = ${$(5)}`,
        [
          directory,
          project,
          successor ? Number(successor[1]) : null,
          describeTarget(r.kind, directory, project, t.day ?? null, r.target),
          r.id,
        ],
      );
    });
  }

  async down(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const $ = placeholders(pg);
    await eachRun(q, $, async (r) => {
      const day = /^nightly:(.+)$/.exec(r.target_key ?? '')?.[1];
      const json =
        r.kind === 'nightly'
          ? { day }
          : r.kind === 'directories'
            ? {}
            : {
                ...(r.directory_path !== null ? { directory: r.directory_path } : {}),
                ...(r.project_ref !== null ? { project: r.project_ref } : {}),
              };
      await q.query(`UPDATE sync_runs SET target = ${$(1)} WHERE id = ${$(2)}`, [JSON.stringify(json), r.id]);
    });
    await q.dropColumns('sync_runs', ['directory_path', 'project_ref', 'superseded_by_id']);

    await q.dropForeignKeys('elevations', fileForeignKeys());
    await q.dropIndex('elevations', 'ix_elevations_thumbnail_file_id');
    await q.dropIndex('elevations', 'ix_elevations_parts_list_file_id');
    const bin = pg ? 'bytea' : 'blob';
    await q.addColumns('elevations', [
      new TableColumn({ name: 'thumbnail', type: bin, isNullable: true }),
      new TableColumn({ name: 'parts_list', type: bin, isNullable: true }),
    ]);
    for (let last = 0; ;) {
      const rows = (await q.query(
        `SELECT id, thumbnail_file_id, parts_list_file_id FROM elevations WHERE id > ${$(1)} AND (thumbnail_file_id IS NOT NULL OR parts_list_file_id IS NOT NULL) ORDER BY id LIMIT ${PAGE}`,
        [last],
      )) as Array<{ id: number; thumbnail_file_id: number | null; parts_list_file_id: number | null }>;
      if (!rows.length) break;
      for (const r of rows) {
        const content = async (id: number | null): Promise<Buffer | null> => {
          if (id === null) return null;
          const [f] = (await q.query(`SELECT content FROM stored_files WHERE id = ${$(1)}`, [id])) as Array<{ content: Buffer }>;
          return f ? Buffer.from(f.content) : null;
        };
        await q.query(`UPDATE elevations SET thumbnail = ${$(1)}, parts_list = ${$(2)} WHERE id = ${$(3)}`, [
          await content(r.thumbnail_file_id),
          await content(r.parts_list_file_id),
          r.id,
        ]);
        last = Number(r.id);
      }
    }
    await q.dropColumns('elevations', ['thumbnail_file_id', 'parts_list_file_id']);
    await q.dropTable('stored_files');
  }
}

interface RunRow {
  id: number;
  kind: string;
  target: string;
  target_key: string | null;
  message: string | null;
  directory_path: string | null;
  project_ref: string | null;
}

function fileForeignKeys(): TableForeignKey[] {
  return ['thumbnail', 'parts_list'].map(
    (f) =>
      new TableForeignKey({
        name: `fk_elevations_${f}_file`,
        columnNames: [`${f}_file_id`],
        referencedTableName: 'stored_files',
        referencedColumnNames: ['id'],
        onDelete: 'SET NULL',
      }),
  );
}

function placeholders(pg: boolean): (i: number) => string {
  return (i) => (pg ? `$${i}` : '?');
}

async function eachRun(q: QueryRunner, $: (i: number) => string, fn: (r: RunRow) => Promise<void>): Promise<void> {
  for (let last = 0; ;) {
    const rows = (await q.query(`SELECT * FROM sync_runs WHERE id > ${$(1)} ORDER BY id LIMIT 200`, [last])) as RunRow[];
    if (!rows.length) return;
    for (const r of rows) {
      await fn(r);
      last = Number(r.id);
    }
  }
}

function parseTarget(target: string): { directory?: string; project?: string; day?: string } {
  try {
    const t = JSON.parse(target) as unknown;
    return t && typeof t === 'object' ? t : {};
  } catch {
    return {};
  }
}

/** The run's target for people, as the bridge writes it from now on (a frozen copy of run-store's describeTarget). */
function describeTarget(kind: string, directory: string | null, project: string | null, day: string | null, fallback = ''): string {
  if (kind === 'nightly') return day ? `nightly ${day}` : 'nightly';
  if (kind === 'directories') return 'directory tree';
  if (directory !== null && project !== null) return `${directory}/${project}`;
  return directory ?? project ?? fallback;
}
