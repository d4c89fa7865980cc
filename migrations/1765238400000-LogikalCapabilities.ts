import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** What the bridge learnt of each LogiKal server (URL + version): whether a session may select a sibling elevation or phase. */
export class LogikalCapabilities1765238400000 implements MigrationInterface {
  name = 'LogikalCapabilities1765238400000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    await q.createTable(
      new Table({
        name: 'logikal_capabilities',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
            primaryKeyConstraintName: 'pk_logikal_capabilities',
          },
          { name: 'server_url', type: 'varchar', length: '500', isNullable: false },
          { name: 'server_version', type: 'varchar', length: '160', isNullable: false },
          { name: 'capability', type: 'varchar', length: '32', isNullable: false },
          { name: 'allowed', type: 'boolean', isNullable: false },
          { name: 'evidence', type: 'varchar', length: '300', isNullable: false },
          { name: 'learnt_at', type: pg ? 'timestamptz' : 'datetime', isNullable: false },
        ],
        uniques: [{ name: 'uq_logikal_capabilities_server', columnNames: ['server_url', 'server_version', 'capability'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Only learnt knowledge: a bridge without this table never tries sibling selects.
    await q.dropTable('logikal_capabilities');
  }
}
