import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Several instances on one database act as one: runs name their nightly parent, carry what any
 * instance needs to claim them, and say when they wait for a licence; LogiKal seats are leased in
 * logikal_seats; each firing of the nightly schedule is claimed once in nightly_firings.
 */
export class SharedRunsAndLicences1765324800000 implements MigrationInterface {
  name = 'SharedRunsAndLicences1765324800000';

  async up(q: QueryRunner): Promise<void> {
    const ts = q.connection.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    await q.addColumns('sync_runs', [
      new TableColumn({ name: 'parent_run_id', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'attempt', type: 'integer', isNullable: false, default: 1 }),
      new TableColumn({ name: 'concurrency', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'waiting_since', type: ts, isNullable: true }),
      new TableColumn({ name: 'takeovers', type: 'integer', isNullable: false, default: 0 }),
      new TableColumn({ name: 'fire_at', type: ts, isNullable: true }),
    ]);
    await q.createIndex('sync_runs', new TableIndex({ name: 'ix_sync_runs_parent_run_id', columnNames: ['parent_run_id'] }));
    await q.createTable(
      new Table({
        name: 'logikal_seats',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
            primaryKeyConstraintName: 'pk_logikal_seats',
          },
          { name: 'state', type: 'varchar', length: '8', isNullable: false },
          { name: 'holder_instance', type: 'varchar', length: '64', isNullable: false },
          { name: 'holder_boot', type: 'varchar', length: '36', isNullable: false },
          { name: 'run_id', type: 'integer', isNullable: true },
          { name: 'requested_at', type: ts, isNullable: false },
          { name: 'lease_expires_at', type: ts, isNullable: false },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'nightly_firings',
        columns: [
          { name: 'fire_at', type: ts, isPrimary: true, primaryKeyConstraintName: 'pk_nightly_firings' },
          { name: 'source', type: 'varchar', length: '16', isNullable: false },
          { name: 'outcome', type: 'varchar', length: '16', isNullable: false },
          { name: 'run_id', type: 'integer', isNullable: true },
          { name: 'instance', type: 'varchar', length: '64', isNullable: false },
          { name: 'recorded_at', type: ts, isNullable: false },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Seats and firings are coordination state only; the older code keeps its cap per process.
    await q.dropTable('nightly_firings');
    await q.dropTable('logikal_seats');
    await q.dropIndex('sync_runs', 'ix_sync_runs_parent_run_id');
    await q.dropColumns('sync_runs', ['parent_run_id', 'attempt', 'concurrency', 'waiting_since', 'takeovers', 'fire_at']);
  }
}
