import { resolve, join } from 'node:path';
import { validate as validateCron } from 'node-cron';

/** Every setting of the bridge; read once from the environment by {@link loadConfig}. */
export interface BridgeConfig {
  /** HTTP port. Default: 8070 (Odoo's own default is 8069). */
  port: number;
  /** Listen address. Default: 127.0.0.1. */
  host: string;
  /** Which database: PostgreSQL when DATABASE_URL is a postgres:// URL, else the embedded SQLite file. */
  database: { type: 'postgres'; url: string } | { type: 'sqlite'; path: string };
  /** Where the embedded database and temp files live. Default: ./data */
  dataDir: string;
  logikal: {
    /** Base URL ending in /api/v3 (e.g. http://host/MbioeService.svc/api/v3). Unset: no Logikal configured. */
    url: string | undefined;
    username: string | undefined;
    password: string | undefined;
    /** Concurrent Logikal sessions across the process. Default: 4. */
    maxSessions: number;
  };
  /** Nightly smart-sync schedule (cron syntax). Default: 0 2 * * * */
  syncCron: string;
  /** winston level. Default: info */
  logLevel: string;
  /** A key that always exists with every scope, named "bootstrap". Default: unset. */
  bootstrapKey: string | undefined;
  /** Apply pending migrations when the server starts. Default: true on SQLite, false on PostgreSQL. */
  migrateOnStart: boolean;
  /** Database name Odoo clients must send (common.login, execute_kw). Default: logikal */
  dbName: string;
  /** production → JSON log lines. */
  production: boolean;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, expected: string, value?: string) {
    super(`${variable}: expected ${expected}${value === undefined ? '' : `, got ${JSON.stringify(value)}`}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, 'true or false', raw);
}

/** Parses and checks the environment; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): BridgeConfig {
  const dataDir = resolve(env.DATA_DIR || './data');
  const dbUrl = env.DATABASE_URL?.trim();
  let database: BridgeConfig['database'];
  if (!dbUrl) database = { type: 'sqlite', path: join(dataDir, 'bridge.sqlite') };
  else if (/^postgres(ql)?:\/\//i.test(dbUrl)) database = { type: 'postgres', url: dbUrl };
  else throw new ConfigError('DATABASE_URL', 'a postgres:// URL, or unset for the embedded SQLite', '<redacted>');

  const logikalUrl = env.LOGIKAL_URL?.trim() || undefined;
  if (logikalUrl !== undefined) {
    let ok = false;
    try {
      const u = new URL(logikalUrl);
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && /\/api\/v3\/?$/.test(u.pathname);
    } catch { ok = false; }
    if (!ok) throw new ConfigError('LOGIKAL_URL', 'an http(s) URL ending in /api/v3', logikalUrl);
  }

  const syncCron = env.SYNC_CRON?.trim() || '0 2 * * *';
  if (!validateCron(syncCron)) throw new ConfigError('SYNC_CRON', 'a cron expression such as "0 2 * * *"', syncCron);

  const logLevel = (env.LOG_LEVEL?.trim() || 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, logLevel);

  const bootstrapKey = env.BRIDGE_BOOTSTRAP_KEY || undefined;
  if (bootstrapKey !== undefined && bootstrapKey.length < 16) {
    throw new ConfigError('BRIDGE_BOOTSTRAP_KEY', 'at least 16 characters');
  }

  const dbName = env.BRIDGE_DB_NAME?.trim() || 'logikal';

  return {
    port: int(env, 'PORT', 8070, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    database,
    dataDir,
    logikal: {
      url: logikalUrl,
      username: env.LOGIKAL_USERNAME || undefined,
      password: env.LOGIKAL_PASSWORD || undefined,
      maxSessions: int(env, 'LOGIKAL_MAX_SESSIONS', 4, 1, 64),
    },
    syncCron,
    logLevel,
    bootstrapKey,
    migrateOnStart: bool(env, 'MIGRATE_ON_START', database.type === 'sqlite'),
    dbName,
    production: env.NODE_ENV === 'production',
  };
}

let cached: BridgeConfig | undefined;

/** The process-wide config, read once. */
export function getConfig(): BridgeConfig {
  if (!cached) cached = loadConfig();
  return cached;
}

/** For tests and the CLI: replace the process-wide config. */
export function setConfig(config: BridgeConfig): void {
  cached = config;
}

/** Values that must never appear in a log line, a table or an error. */
export function secretsOf(config: BridgeConfig): string[] {
  const s = [config.logikal.password, config.bootstrapKey];
  if (config.database.type === 'postgres') {
    try {
      const p = new URL(config.database.url).password;
      if (p) s.push(decodeURIComponent(p));
    } catch { /* validated earlier */ }
  }
  return s.filter((x): x is string => !!x && x.length >= 4);
}
