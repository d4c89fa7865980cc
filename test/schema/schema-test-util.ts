import { dialect } from '../helpers/test-env';
import type { DataSource } from 'typeorm';
import { NULL_GUID } from '../../entities';

/**
 * Shared set-up for the schema tests: rows inserted with plain SQL (the sync service is not under
 * test here) and schema damage done the way the predecessor's database got it.
 */
export async function sql(ds: DataSource, query: string, params: unknown[] = []): Promise<any[]> {
  const q = dialect === 'postgres' ? query.replace(/\?/g, (() => { let i = 0; return () => `$${++i}`; })()) : query;
  return (await ds.query(q, params)) as any[];
}

export async function insertId(ds: DataSource, table: string, cols: Record<string, unknown>): Promise<number> {
  const names = Object.keys(cols);
  const text = `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
  if (dialect === 'postgres') {
    const rows = await sql(ds, `${text} RETURNING id`, Object.values(cols));
    return Number(rows[0].id);
  }
  await sql(ds, text, Object.values(cols));
  const rows = await sql(ds, 'SELECT last_insert_rowid() AS id');
  return Number(rows[0].id);
}

export async function addProject(ds: DataSource, logikalId: string, name: string): Promise<number> {
  return insertId(ds, 'projects', { logikal_id: logikalId, name });
}

export async function addPhase(ds: DataSource, projectId: number, logikalId = NULL_GUID, name = ''): Promise<number> {
  return insertId(ds, 'phases', { logikal_id: logikalId, project_id: projectId, name });
}

export async function addElevation(ds: DataSource, projectId: number, phaseId: number, logikalId: string, name: string): Promise<number> {
  return insertId(ds, 'elevations', { logikal_id: logikalId, project_id: projectId, phase_id: phaseId, name });
}

export async function count(ds: DataSource, table: string): Promise<number> {
  return Number((await sql(ds, `SELECT COUNT(*) AS n FROM ${table}`))[0].n);
}

/**
 * Runs schema surgery the way an old deploy left it. On SQLite, dropping a table-level constraint
 * rebuilds the table: foreign keys go off first so the rebuild does not cascade into child rows.
 */
export async function alterSchema(ds: DataSource, fn: (qr: import('typeorm').QueryRunner) => Promise<void>): Promise<void> {
  const qr = ds.createQueryRunner();
  await qr.connect();
  await qr.beforeMigration();
  try {
    await fn(qr);
  } finally {
    await qr.afterMigration();
    await qr.release();
  }
}

/** The predecessor's production phases table: composite key missing, global unique index present. */
export async function predecessorPhases(ds: DataSource): Promise<void> {
  await alterSchema(ds, async (qr) => {
    await qr.dropUniqueConstraint('phases', 'uq_phase_logikal_project');
    await qr.query('CREATE UNIQUE INDEX ix_phases_logikal_id ON phases (logikal_id)');
  });
}

export function kinds(problems: Array<{ kind: string; name: string; table: string }>): string[] {
  return problems.map((p) => `${p.table}:${p.kind}:${p.name}`).sort();
}
