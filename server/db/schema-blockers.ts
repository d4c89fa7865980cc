import type { DataSource, QueryRunner } from 'typeorm';
import type { Dialect, ForeignKeySpec, KeySpec, TableSpec } from './schema-spec';
import type { Finding } from './schema-health.types';

/**
 * Rows that the constraint a finding creates would reject: duplicates for a unique key, orphans
 * for a foreign key. fix_constraints refuses while any exist; it never deletes data.
 * Identifiers come from our metadata, quoted anyway.
 */

const MAX_LISTED = 20;

export async function blockersOf(ds: DataSource, qr: QueryRunner, dialect: Dialect, f: Finding): Promise<string[]> {
  const out: string[] = [];
  for (const a of f.actions) {
    if (a.op === 'create_key' && a.key.unique) out.push(...(await duplicates(ds, qr, dialect, a.spec, a.key)));
    if (a.op === 'create_fk') out.push(...(await orphans(ds, qr, a.spec, a.fk)));
  }
  return out;
}

async function duplicates(ds: DataSource, qr: QueryRunner, dialect: Dialect, spec: TableSpec, key: KeySpec): Promise<string[]> {
  const q = (x: string) => ds.driver.escape(x);
  const cols = key.columns.map(q);
  const id = q(spec.idColumn);
  const ids = dialect === 'postgres' ? `string_agg(CAST(${id} AS text), ',' ORDER BY ${id})` : `group_concat(${id}, ',')`;
  const where = [...cols.map((c) => `${c} IS NOT NULL`), ...(key.where ? [`(${key.where})`] : [])].join(' AND ');
  const rows = (await qr.query(
    `SELECT ${cols.map((c, i) => `${c} AS c${i}`).join(', ')}, COUNT(*) AS n, ${ids} AS ids FROM ${q(spec.table)} WHERE ${where} ` +
      `GROUP BY ${cols.join(', ')} HAVING COUNT(*) > 1 ORDER BY COUNT(*) DESC LIMIT ${MAX_LISTED + 1}`,
  )) as Array<Record<string, unknown>>;
  return listed(rows, (r) => {
    const values = key.columns.map((c, i) => `${c}=${JSON.stringify(r[`c${i}`])}`).join(', ');
    const idList = String(r.ids).split(',');
    return `${spec.table} ${key.name}: ${values} shared by ${Number(r.n)} rows (${spec.idColumn} ${idList.slice(0, 10).join(', ')}${idList.length > 10 ? ', …' : ''})`;
  });
}

async function orphans(ds: DataSource, qr: QueryRunner, spec: TableSpec, fk: ForeignKeySpec): Promise<string[]> {
  const q = (x: string) => ds.driver.escape(x);
  const c = fk.columns.map((x) => `c.${q(x)}`);
  const match = fk.refColumns.map((r, i) => `p.${q(r)} = ${c[i]}`).join(' AND ');
  const rows = (await qr.query(
    `SELECT c.${q(spec.idColumn)} AS id, ${c.map((x, i) => `${x} AS c${i}`).join(', ')} FROM ${q(spec.table)} c ` +
      `WHERE ${c.map((x) => `${x} IS NOT NULL`).join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${q(fk.refTable)} p WHERE ${match}) ` +
      `ORDER BY c.${q(spec.idColumn)} LIMIT ${MAX_LISTED + 1}`,
  )) as Array<Record<string, unknown>>;
  return listed(
    rows,
    (r) =>
      `${spec.table} ${fk.name}: ${spec.idColumn} ${String(r.id)} has ${fk.columns.map((x, i) => `${x}=${JSON.stringify(r[`c${i}`])}`).join(', ')} with no ${fk.refTable} row`,
  );
}

function listed<T>(rows: T[], fmt: (r: T) => string): string[] {
  const out = rows.slice(0, MAX_LISTED).map(fmt);
  if (rows.length > MAX_LISTED) out.push(`(more than ${MAX_LISTED}; only the first ${MAX_LISTED} are listed)`);
  return out;
}
