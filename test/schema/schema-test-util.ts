import { dialect } from '../helpers/test-env';
import type { QueryRunner } from 'typeorm';
import { NULL_GUID } from '../../entities';
import type { Db } from '../../server/db/db';

/**
 * Shared set-up for the schema tests: rows inserted with plain SQL (the sync service is not under
 * test here) and schema damage done the way the predecessor's database got it. Everything goes
 * through the app's Db, so on SQLite it takes its turn like any other write.
 */
export async function sql(db: Db, query: string, params: unknown[] = []): Promise<any[]> {
  const q =
    dialect === 'postgres'
      ? query.replace(
          /\?/g,
          (() => {
            let i = 0;
            return () => `$${++i}`;
          })(),
        )
      : query;
  return await db.write<any[]>((m) => m.query(q, params));
}

/** Both PostgreSQL and SQLite (3.35+) answer INSERT … RETURNING. */
export async function insertId(db: Db, table: string, cols: Record<string, unknown>): Promise<number> {
  const names = Object.keys(cols);
  const rows = await sql(
    db,
    `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) RETURNING id`,
    Object.values(cols),
  );
  return Number(rows[0].id);
}

export async function addProject(db: Db, logikalId: string, name: string): Promise<number> {
  return insertId(db, 'projects', { logikal_id: logikalId, name });
}

export async function addPhase(db: Db, projectId: number, logikalId = NULL_GUID, name = ''): Promise<number> {
  return insertId(db, 'phases', { logikal_id: logikalId, project_id: projectId, name });
}

export async function addElevation(db: Db, projectId: number, phaseId: number, logikalId: string, name: string): Promise<number> {
  return insertId(db, 'elevations', { logikal_id: logikalId, project_id: projectId, phase_id: phaseId, name });
}

export async function count(db: Db, table: string): Promise<number> {
  return Number((await db.reader.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
}

/**
 * Runs schema surgery the way an old deploy left it, on the writer connection alone. On SQLite,
 * dropping a table-level constraint rebuilds the table: foreign keys go off first so the rebuild
 * does not cascade into child rows.
 */
export async function alterSchema(db: Db, fn: (qr: QueryRunner) => Promise<void>): Promise<void> {
  await db.exclusive(async (ds) => {
    const qr = ds.createQueryRunner();
    await qr.connect();
    await qr.beforeMigration();
    try {
      await fn(qr);
    } finally {
      await qr.afterMigration();
      await qr.release();
    }
  });
}

/** The predecessor's production phases table: composite key missing, global unique index present. */
export async function predecessorPhases(db: Db): Promise<void> {
  await alterSchema(db, async (qr) => {
    await qr.dropUniqueConstraint('phases', 'uq_phase_logikal_project');
    await qr.query('CREATE UNIQUE INDEX ix_phases_logikal_id ON phases (logikal_id)');
  });
}

export function kinds(problems: Array<{ kind: string; name: string; table: string }>): string[] {
  return problems.map((p) => `${p.table}:${p.kind}:${p.name}`).sort();
}
