import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Sync runs get an owner (instance + boot) and a lease, so a run whose process died is known dead
 * by everyone, and a link to the interrupted run a resume continues. Runs left queued or running
 * before this migration have no lease: they read as interrupted.
 */
export class LeasedRuns1765065600000 implements MigrationInterface {
  name = 'LeasedRuns1765065600000';

  async up(q: QueryRunner): Promise<void> {
    const ts = q.connection.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    await q.addColumns('sync_runs', [
      new TableColumn({ name: 'owner_instance', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'owner_boot', type: 'varchar', length: '36', isNullable: true }),
      new TableColumn({ name: 'lease_expires_at', type: ts, isNullable: true }),
      new TableColumn({ name: 'resumed_from_id', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'resume_since', type: ts, isNullable: true }),
    ]);
    await q.createIndex('sync_runs', new TableIndex({ name: 'ix_sync_runs_lease_expires_at', columnNames: ['lease_expires_at'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    // The old code knows no `interrupted`: such runs go back as failed, which is what they were to it.
    await q.query("UPDATE sync_runs SET state = 'failed' WHERE state = 'interrupted'");
    await q.dropIndex('sync_runs', 'ix_sync_runs_lease_expires_at');
    await q.dropColumns('sync_runs', ['owner_instance', 'owner_boot', 'lease_expires_at', 'resumed_from_id', 'resume_since']);
  }
}
