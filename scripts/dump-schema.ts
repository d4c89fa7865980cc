// Dev aid: migrates, then prints what TypeORM's schema builder would still change (should be nothing).
import { createDataSource } from '../ormconfig';
async function main() {
  const ds = createDataSource();
  await ds.initialize();
  await ds.runMigrations();
  const sql = await ds.driver.createSchemaBuilder().log();
  for (const q of sql.upQueries) console.log(q.query);
  console.log('pending:', sql.upQueries.length);
  await ds.undoLastMigration();
  await ds.destroy();
}
main();
