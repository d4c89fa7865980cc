import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig, type BridgeConfig } from '../../server/config';
import { configureLogging } from '../../server/logging';

/**
 * Each test app gets its own database of the kind this test process runs on (the runner sets
 * DATABASE_URL for the PostgreSQL pass): a fresh SQLite file, or a fresh PostgreSQL database.
 */
const baseEnv = { ...process.env };
export const base: BridgeConfig = loadConfig(baseEnv);
configureLogging({ level: base.logLevel, production: false });

export const dialect = base.database.type;

export interface TestDatabase {
  env: Record<string, string>;
  drop(): Promise<void>;
}

let counter = 0;

function adminUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

/** Creates the test database named by the base URL if missing (the runner's contract), then a private one. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (base.database.type === 'sqlite') {
    const dir = mkdtempSync(join(base.dataDir, 'db-'));
    return { env: { DATABASE_URL: '', DATA_DIR: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const baseUrl = base.database.url;
  const name = `lbt_${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl(baseUrl) });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  const dir = mkdtempSync(join(base.dataDir, 'pg-'));
  return {
    env: { DATABASE_URL: u.toString(), DATA_DIR: dir },
    drop: async () => {
      const c = new Client({ connectionString: adminUrl(baseUrl) });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A config for a fresh database plus the given overrides (env-style). */
export function configFor(db: TestDatabase, env: Record<string, string | undefined> = {}): BridgeConfig {
  return loadConfig({ ...baseEnv, PORT: '0', MIGRATE_ON_START: 'true', LOG_LEVEL: base.logLevel, ...db.env, ...env });
}
