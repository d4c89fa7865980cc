import { TableForeignKey, TableIndex, TableUnique, type DataSource, type QueryRunner } from 'typeorm';
import type { Step } from './schema-diff';
import type { Dialect } from './schema-spec';
import type { Action, Query } from './schema-health.types';

/**
 * Turns planned actions into SQL with TypeORM's own DDL generator in memory mode: nothing
 * executes, the QueryRunner only records what it would run (it still reads the live tables it
 * alters, so a SQLite rebuild copies the table as it really is). Each step's statements are also
 * recorded on its finding. The same statements are what fix_constraints runs.
 */
export async function renderSql(ds: DataSource, dialect: Dialect, steps: Step[]): Promise<Query[]> {
  if (steps.length === 0) return [];
  const all: Query[] = [];
  const planner = ds.createQueryRunner();
  planner.enableSqlMemory();
  try {
    for (const { finding, action } of steps) {
      const before = planner.getMemorySql().upQueries.length;
      await apply(planner, dialect, action);
      const added = planner.getMemorySql().upQueries.slice(before);
      finding.statements.push(...added);
      all.push(...added);
    }
  } finally {
    planner.disableSqlMemory();
    await planner.release();
  }
  return all;
}

async function apply(qr: QueryRunner, dialect: Dialect, a: Action): Promise<void> {
  switch (a.op) {
    case 'drop_key':
      if (a.key.kind === 'index') await qr.dropIndex(a.table, a.key.name);
      else await qr.dropUniqueConstraint(a.table, a.key.name);
      return;
    case 'create_key':
      // SQLite: a named unique index stands in for a table-level UNIQUE (which would need a
      // rebuild); check accepts it there (satisfies() in schema-spec.ts, rebuilds() in schema-diff.ts).
      if (a.key.kind === 'unique' && dialect === 'postgres') {
        await qr.createUniqueConstraint(a.table, new TableUnique({ name: a.key.name, columnNames: a.key.columns }));
      } else {
        await qr.createIndex(
          a.table,
          new TableIndex({
            name: a.key.name,
            columnNames: a.key.columns,
            isUnique: a.key.unique,
            where: a.key.where ?? undefined,
          }),
        );
      }
      return;
    case 'drop_fk':
      await qr.dropForeignKey(a.table, a.fk.name);
      return;
    case 'create_fk':
      await qr.createForeignKey(
        a.table,
        new TableForeignKey({
          name: a.fk.name,
          columnNames: a.fk.columns,
          referencedTableName: a.fk.refTable,
          referencedColumnNames: a.fk.refColumns,
          onDelete: a.fk.onDelete,
        }),
      );
      return;
  }
}

/** SQLite: a rebuilt AUTOINCREMENT table would restart at max(id); read the old high-water marks so ids are never reused. */
export async function readSequences(qr: QueryRunner, tables: string[]): Promise<Map<string, number>> {
  const seqs = new Map<string, number>();
  if (tables.length === 0 || !(await qr.hasTable('sqlite_sequence'))) return seqs;
  for (const t of tables) {
    const rows = (await qr.query('SELECT seq FROM sqlite_sequence WHERE name = ?', [t])) as Array<{ seq: number }>;
    if (rows[0]) seqs.set(t, Number(rows[0].seq));
  }
  return seqs;
}

export async function restoreSequences(qr: QueryRunner, seqs: Map<string, number>): Promise<void> {
  for (const [t, seq] of seqs) {
    const rows = (await qr.query('SELECT seq FROM sqlite_sequence WHERE name = ?', [t])) as Array<{ seq: number }>;
    if (!rows[0]) await qr.query('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)', [t, seq]);
    else if (Number(rows[0].seq) < seq) await qr.query('UPDATE sqlite_sequence SET seq = ? WHERE name = ?', [seq, t]);
  }
}
