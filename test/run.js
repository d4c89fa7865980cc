#!/usr/bin/env node
// Runs the whole suite: DB-independent tests once, every DB-touching test on the embedded SQLite
// and again on PostgreSQL (TEST_DATABASE_URL, default a local logikal_bridge_test, created if missing).
'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');

const root = join(__dirname, '..');
const dist = process.env.TEST_DIST ? join(process.env.TEST_DIST, 'test') : join(root, 'dist', 'test');
const ONCE = new Set(['parts', 'emulator', 'logikal', 'unit']);
const only = process.argv.slice(2); // optional: area names to run

const areas = readdirSync(dist, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'helpers' && (only.length === 0 || only.includes(d.name)))
  .map((d) => d.name);

const pgUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/logikal_bridge_test';

function files(areaList) {
  return areaList.flatMap((a) =>
    readdirSync(join(dist, a))
      .filter((f) => f.endsWith('.test.js'))
      .map((f) => join(dist, a, f)),
  );
}

const totals = { passed: 0, failed: 0, skipped: 0 };

/** Streams the child's report as it comes (a killed run still shows how far it got) and counts it. */
function run(label, list, env) {
  if (list.length === 0) return Promise.resolve();
  const dataDir = mkdtempSync(join(tmpdir(), 'lkb-test-'));
  process.stdout.write(`\n=== ${label}: ${list.length} test files ===\n`);
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...list], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env, DATA_DIR: dataDir, LOG_LEVEL: process.env.LOG_LEVEL || 'warn' },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d.toString();
    process.stdout.write(d);
  });
  return new Promise((resolve) =>
    child.on('close', (status) => {
      const n = (re) => Number((out.match(re) || [])[1] || 0);
      totals.passed += n(/ℹ pass (\d+)/);
      totals.failed += n(/ℹ fail (\d+)/) + (status !== 0 && !/ℹ fail [1-9]/.test(out) ? 1 : 0);
      totals.skipped += n(/ℹ skipped (\d+)/);
      rmSync(dataDir, { recursive: true, force: true });
      resolve();
    }),
  );
}

/** The test database named by TEST_DATABASE_URL is created if missing; each test app then makes its own beside it. */
async function ensureDatabase(url) {
  const { Client } = require('pg');
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  if (!/^\w+$/.test(name)) throw new Error(`TEST_DATABASE_URL: unexpected database name "${name}"`);
  u.pathname = '/postgres';
  const c = new Client({ connectionString: u.toString() });
  await c.connect();
  try {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
}

const once = areas.filter((a) => ONCE.has(a));
const twice = areas.filter((a) => !ONCE.has(a));
const baseEnv = { ...process.env };
delete baseEnv.DATABASE_URL;
(async () => {
  await run('database-independent', files(once), { ...baseEnv, DATABASE_URL: '' });
  await run('embedded SQLite', files(twice), { DATABASE_URL: '' });
  if (twice.length) await ensureDatabase(pgUrl);
  await run('PostgreSQL', files(twice), { DATABASE_URL: pgUrl });
  process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
  process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
})();
