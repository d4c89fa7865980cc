import { configFor, createTestDatabase, dialect, type TestDatabase } from '../helpers/test-env';
import { startTestApp } from '../helpers/test-app';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { startApp } from '../../server/bootstrap';
import { MIGRATION_LOCK_KEY, openDatabase } from '../../server/db/database';
import { predecessorPhases } from './schema-test-util';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from '../../entities';

const CLI = join(__dirname, '..', '..', 'server', 'cli', 'index.js');
/** Every migration, oldest first, by the name the migrations table records. */
const ALL = MIGRATIONS.map((m) => new (m as new () => { name: string })().name);
const TABLES = ENTITIES.length;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A real `node <build>/server/cli/index.js …` process against the test database. */
function cli(db: TestDatabase, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...db.env, MIGRATE_ON_START: 'false', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function withDb(fn: (db: TestDatabase) => Promise<void>): Promise<void> {
  const db = await createTestDatabase();
  try {
    await fn(db);
  } finally {
    await db.drop();
  }
}

/** Raw SQL on the test database, outside the bridge. */
async function rawSql(db: TestDatabase, sql: string): Promise<void> {
  const bridgeDb = await openDatabase(configFor(db, { MIGRATE_ON_START: 'false' }));
  try {
    await bridgeDb.exclusive((ds) => ds.query(sql));
  } finally {
    await bridgeDb.close();
  }
}

/**
 * PostgreSQL: three real deploys at once. The test holds the migration lock until all three are
 * queued on it, so they really overlap (process start-up jitter would otherwise serialise them).
 */
async function concurrentMigrate(db: TestDatabase): Promise<CliRun[]> {
  const c = new Client({ connectionString: db.env.DATABASE_URL });
  await c.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const runs = Promise.all([1, 2, 3].map(() => cli(db, ['migrate'], { LOG_LEVEL: 'info' })));
    const waitingSql =
      "SELECT COUNT(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted";
    for (let i = 0; ; i++) {
      const { rows } = await c.query(waitingSql);
      if (rows[0].n === 3) break;
      assert.ok(i < 300, `only ${rows[0].n} of 3 migrate processes reached the lock`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    const done = await runs;
    const { rows } = await c.query('SELECT name, COUNT(*)::int AS n FROM migrations GROUP BY name');
    assert.deepEqual(
      rows.sort((a, b) => a.name.localeCompare(b.name)),
      ALL.map((name) => ({ name, n: 1 })).sort((a, b) => a.name.localeCompare(b.name)),
    );
    return done;
  } finally {
    await c.end();
  }
}

test(`[${dialect}] concurrent \`migrate\` processes apply each migration exactly once`, () =>
  withDb(async (db) => {
    // The embedded SQLite is one file of one instance: there two deploys run one after the other.
    const runs = dialect === 'postgres' ? await concurrentMigrate(db) : [await cli(db, ['migrate']), await cli(db, ['migrate'])];
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    if (dialect === 'postgres')
      for (const r of runs) assert.match(r.stderr, /another instance is migrating; waiting for the migration lock/);
    const applied = runs.filter((r) => r.stdout.includes(`applied ${ALL.length} migration(s):\n${ALL.map((n) => `  ${n}\n`).join('')}`));
    assert.equal(applied.length, 1, runs.map((r) => r.stdout).join('|'));
    assert.equal(runs.filter((r) => r.stdout === 'database is up to date\n').length, runs.length - 1);
    const check = await cli(db, ['check-constraints', '--json']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const report = JSON.parse(check.stdout);
    assert.deepEqual(report.migrations, { executed: ALL, pending: [], unknown: [] });
    assert.equal(report.ok, true);
  }));

test(`[${dialect}] a failing migration exits 1 with "migration failed:" and records nothing`, () =>
  withDb(async (db) => {
    await rawSql(db, 'CREATE TABLE directories (legacy integer)');
    const r = await cli(db, ['migrate']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /logikal-bridge: migration failed: .*directories.*already exists/);
    const check = await cli(db, ['check-constraints', '--json']);
    assert.equal(check.code, 1);
    assert.deepEqual(JSON.parse(check.stdout).migrations.pending, ALL);
  }));

test(`[${dialect}] check-constraints / fix-constraints exit codes for deploy scripts`, () =>
  withDb(async (db) => {
    assert.equal((await cli(db, ['migrate'])).code, 0);
    assert.equal((await cli(db, ['check-constraints'])).code, 0);
    const bridgeDb = await openDatabase(configFor(db, { MIGRATE_ON_START: 'false' }));
    try {
      await predecessorPhases(bridgeDb);
    } finally {
      await bridgeDb.close();
    }
    const check = await cli(db, ['check-constraints']);
    assert.equal(check.code, 1);
    assert.match(check.stdout, /2 problem\(s\)/);
    assert.match(check.stdout, /phases: unexpected_unique ix_phases_logikal_id \(logikal_id\)/);
    assert.match(check.stdout, /phases: missing_unique uq_phase_logikal_project \(logikal_id, project_id\)/);

    const dry = await cli(db, ['fix-constraints', '--dry-run']);
    assert.equal(dry.code, 1, 'a dry run that finds work is not "clean"');
    assert.match(dry.stdout, /would run \d+ statement\(s\) in one transaction:\n {2}DROP INDEX/);

    const fix = await cli(db, ['fix-constraints']);
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    assert.match(fix.stdout, /ran \d+ statement\(s\)/);
    assert.match(fix.stdout, /fixed 2:/);
    const again = await cli(db, ['fix-constraints', '--json']);
    assert.equal(again.code, 0);
    assert.deepEqual(JSON.parse(again.stdout), { ok: true, dry_run: false, statements: [], planned: [], fixed: [], remaining: [] });
    assert.equal((await cli(db, ['check-constraints'])).code, 0);

    for (const cmd of ['check-constraints', 'fix-constraints']) {
      const bad = await cli(db, [cmd], { DATABASE_URL: 'mysql://nope' });
      assert.equal(bad.code, 2, cmd);
      assert.match(bad.stderr, /configuration error: .*DATABASE_URL/);
    }
  }));

test(`[${dialect}] with migrations pending: the server refuses to start and fix-constraints refuses`, () =>
  withDb(async (db) => {
    await assert.rejects(
      startApp(configFor(db, { MIGRATE_ON_START: 'false' })),
      (err: Error) => err.name === 'ServiceUnavailableError' && err.message.includes('migrations are pending'),
    );
    const check = await cli(db, ['check-constraints', '--json']);
    assert.equal(check.code, 1);
    const report = JSON.parse(check.stdout);
    assert.ok(report.problems.some((p: { kind: string }) => p.kind === 'migrations_pending'));
    assert.equal(report.problems.filter((p: { kind: string }) => p.kind === 'missing_table').length, TABLES);
    const fix = await cli(db, ['fix-constraints']);
    assert.equal(fix.code, 1);
    assert.ok(fix.stderr.includes(`Migrations are pending (${ALL.join(', ')}): run \`logikal-bridge migrate\``), fix.stderr);
    // MIGRATE_ON_START=true runs them (under the same lock) and the app starts.
    const app = await startApp(configFor(db, { MIGRATE_ON_START: 'true' }));
    await app.close();
    assert.equal((await cli(db, ['check-constraints'])).code, 0);
  }));

test(`[${dialect}] /health reports migrations current with 200`, async () => {
  const t = await startTestApp();
  try {
    const res = await fetch(`${t.url}/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { ok: boolean; migrations: string; database: string };
    assert.equal(body.ok, true);
    assert.equal(body.migrations, 'current');
    assert.equal(body.database, 'ok');
  } finally {
    await t.close();
  }
});
