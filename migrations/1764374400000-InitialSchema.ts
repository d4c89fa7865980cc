import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

/**
 * The whole first schema, written with TypeORM's Table API so one file runs on PostgreSQL and
 * SQLite. Every constraint and index is named: admin.check_constraints compares by name.
 */
export class InitialSchema1764374400000 implements MigrationInterface {
  name = 'InitialSchema1764374400000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const ts = pg ? 'timestamptz' : 'datetime';
    const bin = pg ? 'bytea' : 'blob';
    const id = (table: string): TableColumnOptions => ({
      name: 'id',
      type: 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment',
      primaryKeyConstraintName: `pk_${table}`,
    });
    const str = (name: string, length: number, nullable = true): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable: nullable,
    });
    const text = (name: string): TableColumnOptions => ({ name, type: 'text', isNullable: true });
    const num = (name: string): TableColumnOptions => ({ name, type: 'double precision', isNullable: true });
    const int = (name: string, nullable = true): TableColumnOptions => ({ name, type: 'integer', isNullable: nullable });
    const time = (name: string, nullable = true): TableColumnOptions => ({ name, type: ts, isNullable: nullable });
    const flag = (name: string, def: boolean): TableColumnOptions => ({
      name,
      type: 'boolean',
      isNullable: false,
      default: pg ? String(def) : def ? 1 : 0,
    });
    const counter = (name: string): TableColumnOptions => ({ name, type: 'integer', isNullable: false, default: 0 });

    await q.createTable(
      new Table({
        name: 'directories',
        columns: [
          id('directories'),
          str('path', 1024, false),
          str('name', 255, false),
          int('parent_id'),
          flag('active', true),
          time('last_synced_at'),
        ],
        uniques: [{ name: 'uq_directory_path', columnNames: ['path'] }],
        indices: [{ name: 'ix_directories_parent_id', columnNames: ['parent_id'] }],
        foreignKeys: [
          {
            name: 'fk_directories_parent',
            columnNames: ['parent_id'],
            referencedTableName: 'directories',
            referencedColumnNames: ['id'],
            onDelete: 'SET NULL',
          },
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'projects',
        columns: [
          id('projects'),
          str('logikal_id', 36, false),
          str('name', 255, false),
          int('directory_id'),
          str('job_number', 255),
          str('offer_number', 255),
          str('person_in_charge', 255),
          flag('estimated', false),
          time('logikal_created_at'),
          time('logikal_changed_at'),
          time('last_synced_at'),
          flag('active', true),
        ],
        uniques: [{ name: 'uq_project_logikal_id', columnNames: ['logikal_id'] }],
        indices: [
          { name: 'ix_projects_name', columnNames: ['name'] },
          { name: 'ix_projects_directory_id', columnNames: ['directory_id'] },
        ],
        foreignKeys: [
          {
            name: 'fk_projects_directory',
            columnNames: ['directory_id'],
            referencedTableName: 'directories',
            referencedColumnNames: ['id'],
            onDelete: 'SET NULL',
          },
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'phases',
        columns: [
          id('phases'),
          str('logikal_id', 36, false),
          int('project_id', false),
          str('name', 255, false),
          text('description'),
          time('last_synced_at'),
          flag('active', true),
        ],
        uniques: [{ name: 'uq_phase_logikal_project', columnNames: ['logikal_id', 'project_id'] }],
        indices: [{ name: 'ix_phases_project_id', columnNames: ['project_id'] }],
        foreignKeys: [
          {
            name: 'fk_phases_project',
            columnNames: ['project_id'],
            referencedTableName: 'projects',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'elevations',
        columns: [
          id('elevations'),
          str('logikal_id', 36, false),
          str('version_id', 36),
          int('phase_id', false),
          int('project_id', false),
          str('name', 255, false),
          num('amount'),
          num('width'),
          num('height'),
          text('automatic_description'),
          text('system_description'),
          text('model_description'),
          text('user_description'),
          time('logikal_changed_at'),
          { name: 'thumbnail', type: bin, isNullable: true },
          str('thumbnail_sha256', 64),
          { name: 'parts_list', type: bin, isNullable: true },
          str('parts_list_sha256', 64),
          int('parts_list_size'),
          time('parts_list_synced_at'),
          str('parts_list_source_key', 64),
          text('auto_description'),
          text('auto_description_short'),
          num('width_out'),
          str('width_unit', 16),
          num('height_out'),
          str('height_unit', 16),
          num('weight_out'),
          str('weight_unit', 16),
          num('area_output'),
          str('area_unit', 16),
          str('system_code', 64),
          str('system_name', 255),
          str('system_long_name', 255),
          str('color_base_long', 255),
          int('parts_count'),
          { name: 'parse_status', type: 'varchar', length: '16', isNullable: false, default: "'pending'" },
          text('parse_error'),
          time('last_synced_at'),
          flag('active', true),
        ],
        uniques: [{ name: 'uq_elevation_logikal_phase', columnNames: ['logikal_id', 'phase_id'] }],
        indices: [
          { name: 'ix_elevations_phase_id', columnNames: ['phase_id'] },
          { name: 'ix_elevations_project_id', columnNames: ['project_id'] },
        ],
        foreignKeys: [
          {
            name: 'fk_elevations_phase',
            columnNames: ['phase_id'],
            referencedTableName: 'phases',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            name: 'fk_elevations_project',
            columnNames: ['project_id'],
            referencedTableName: 'projects',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'elevation_glass',
        columns: [
          id('elevation_glass'),
          int('elevation_id', false),
          str('glass_id', 64, false),
          str('name', 255),
          str('name_short', 255),
          text('description'),
          text('configuration'),
          text('info1'),
          text('info2'),
          str('origin', 255),
          num('price'),
          num('width_output'),
          num('height_output'),
          str('field_no', 64),
          num('area_offer'),
          num('spacer_gap_output'),
          str('model_type', 255),
        ],
        indices: [{ name: 'ix_elevation_glass_elevation_id', columnNames: ['elevation_id'] }],
        foreignKeys: [
          {
            name: 'fk_elevation_glass_elevation',
            columnNames: ['elevation_id'],
            referencedTableName: 'elevations',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'sync_runs',
        columns: [
          id('sync_runs'),
          str('kind', 32, false),
          str('target', 1024, false),
          str('target_key', 1100, false),
          int('project_id'),
          str('state', 16, false),
          counter('phases_synced'),
          counter('elevations_synced'),
          counter('elevations_total'),
          counter('parts_lists_synced'),
          counter('parts_lists_failed'),
          counter('parts_lists_unchanged'),
          counter('thumbnails_synced'),
          text('message'),
          text('failures'),
          str('requested_by', 100),
          time('started_at', false),
          time('finished_at'),
          time('heartbeat_at'),
        ],
        indices: [
          { name: 'ix_sync_runs_project_id', columnNames: ['project_id'] },
          { name: 'ix_sync_runs_state', columnNames: ['state'] },
          { name: 'uq_sync_runs_active_target', columnNames: ['target_key'], isUnique: true, where: "state IN ('queued', 'running')" },
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          id('api_keys'),
          str('name', 100, false),
          str('key_hash', 64, false),
          str('key_prefix', 16, false),
          { name: 'scopes', type: 'text', isNullable: false },
          time('created_at', false),
          time('revoked_at'),
          time('last_used_at'),
        ],
        uniques: [
          { name: 'uq_api_keys_name', columnNames: ['name'] },
          { name: 'uq_api_keys_key_hash', columnNames: ['key_hash'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['api_keys', 'sync_runs', 'elevation_glass', 'elevations', 'phases', 'projects', 'directories']) {
      await q.dropTable(table);
    }
  }
}
