import { base, configFor, createTestDatabase } from '../helpers/test-env';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, migrate, hasPendingMigrations } from '../../server/db/database';
import { MIGRATIONS } from '../../migrations';

describe(`migrations on ${base.database.type}`, () => {
  it('go up from empty, down to empty, up again, and leave no drift from the entities', async () => {
    const db = await createTestDatabase();
    const ds = await openDatabase(configFor(db));
    try {
      assert.equal(await hasPendingMigrations(ds), true);
      const first = await migrate(ds);
      assert.equal(first.applied.length, MIGRATIONS.length);
      assert.equal(await hasPendingMigrations(ds), false);
      assert.equal((await migrate(ds)).applied.length, 0, 'a second run applies nothing');

      const drift = await ds.driver.createSchemaBuilder().log();
      assert.deepEqual(drift.upQueries.map((q) => q.query), [], 'schema matches the entities');

      for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'each' });
      const runner = ds.createQueryRunner();
      const left: string[] = [];
      for (const m of ds.entityMetadatas) if (await runner.hasTable(m.tableName)) left.push(m.tableName);
      await runner.release();
      assert.deepEqual(left, [], 'down leaves no table behind');

      assert.equal((await migrate(ds)).applied.length, MIGRATIONS.length);
      const again = await ds.driver.createSchemaBuilder().log();
      assert.equal(again.upQueries.length, 0);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
