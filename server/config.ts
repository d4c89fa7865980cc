import { hostname } from 'node:os';
import { resolve, join } from 'node:path';
import { Cron } from 'croner';
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';

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
  /** Nightly smart-sync schedule (cron syntax, 5 or 6 fields); null when SYNC_CRON=off. Default: 0 2 * * * */
  syncCron: string | null;
  /** The time zone SYNC_CRON is read in (IANA name). Default: UTC */
  syncTimezone: string;
  /** Directory paths whose project lists a nightly refreshes, each without its sub-directories. Default: none */
  trackedDirectories: string[];
  /** How long a nightly waits before retrying a project that failed, doubled per retry. Default: 60 */
  nightlyRetrySeconds: number;
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
  /** Sync runs executing at once; the rest wait as `queued`. Default: LOGIKAL_MAX_SESSIONS. */
  maxActiveRuns: number;
  /** How long running syncs get to stop at a unit boundary on SIGTERM/SIGINT. Default: 20. */
  shutdownGraceSeconds: number;
  /** This instance's name on the runs it owns; stable across restarts. Default: the host name. */
  instanceId: string;
  /** The largest answer one HTTP request (a whole batch included) may get, in bytes. Default: 64 MiB. */
  responseMaxBytes: number;
}

/** The longest API key the bridge accepts (auth/api-key.service.ts); BRIDGE_BOOTSTRAP_KEY must fit. */
export const MAX_API_KEY_LENGTH = 200;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
    value?: string,
  ) {
    super(`${variable}: expected ${expected}${value === undefined ? '' : `, got ${JSON.stringify(value)}`}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** node-cron fires the schedule and croner computes its dates (server/scheduler.ts): both must read the pattern. */
function isCronPattern(expression: string): boolean {
  if (!validateCron(expression)) return false;
  try {
    new Cron(expression, { domAndDow: true });
    return true;
  } catch {
    return false;
  }
}

/** A pattern such as "0 0 31 4 *" is valid field by field but names no real date. */
function firesAtAll(expression: string): boolean {
  try {
    return new Cron(expression, { domAndDow: true }).nextRun() !== null;
  } catch {
    return false;
  }
}

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
const MBIOE_URL = 'an http(s) URL ending in /api/v3';

/** A variable that is unset, empty or blank takes the default; any other value must pass `schema`. */
const setting = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);
const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .refine((s) => /^\d+$/.test(s) && Number(s) >= min && Number(s) <= max, `an integer from ${min} to ${max}`)
    .transform(Number);
const trimmed = z.string().trim();

/** The environment: each key is a variable, each message what it expects (ConfigError adds the rest). */
const EnvSchema = z.object({
  DATABASE_URL: setting(trimmed.regex(/^postgres(ql)?:\/\//i, 'a postgres:// URL, or unset for the embedded SQLite').optional()),
  LOGIKAL_URL: setting(
    trimmed
      .pipe(z.url({ protocol: /^https?$/, error: MBIOE_URL, abort: true }))
      .refine((u) => /\/api\/v3\/?$/.test(new URL(u).pathname), MBIOE_URL)
      .optional(),
  ),
  SYNC_CRON: setting(
    trimmed
      .refine((c) => c.toLowerCase() === 'off' || isCronPattern(c), 'a cron expression of 5 or 6 fields such as "0 2 * * *", or off')
      .refine((c) => c.toLowerCase() === 'off' || firesAtAll(c), 'a cron expression that fires at some time (this one never does)')
      .default('0 2 * * *'),
  ),
  SYNC_TZ: setting(trimmed.refine(isTimeZone, 'an IANA time zone such as UTC or Europe/Berlin').default('UTC')),
  TRACKED_DIRECTORIES: setting(z.string().optional()),
  NIGHTLY_RETRY_SECONDS: setting(integer(0, 86_400).default(60)),
  LOG_LEVEL: setting(
    trimmed
      .toLowerCase()
      .pipe(z.enum(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`))
      .default('info'),
  ),
  // A key the bridge could never accept stops start-up instead of failing every call later.
  BRIDGE_BOOTSTRAP_KEY: setting(
    z
      .string()
      .min(16, 'at least 16 characters')
      .max(MAX_API_KEY_LENGTH, `at most ${MAX_API_KEY_LENGTH} characters (the longest key the bridge accepts)`)
      .regex(/^[\x21-\x7E]+$/, 'printable ASCII characters without spaces (a key must fit an Authorization header)')
      .optional(),
  ),
  PORT: setting(integer(0, 65535).default(8070)),
  HOST: setting(trimmed.default('127.0.0.1')),
  DATA_DIR: setting(z.string().default('./data')),
  LOGIKAL_USERNAME: setting(z.string().optional()),
  LOGIKAL_PASSWORD: setting(z.string().optional()),
  LOGIKAL_MAX_SESSIONS: setting(integer(1, 64).default(4)),
  MIGRATE_ON_START: setting(
    trimmed
      .pipe(z.stringbool({ truthy: ['1', 'true', 'yes', 'on'], falsy: ['0', 'false', 'no', 'off'], error: 'true or false' }))
      .optional(),
  ),
  BRIDGE_DB_NAME: setting(trimmed.default('logikal')),
  MAX_ACTIVE_RUNS: setting(integer(1, 256).optional()),
  SHUTDOWN_GRACE_SECONDS: setting(integer(0, 3600).default(20)),
  BRIDGE_INSTANCE_ID: setting(trimmed.regex(/^[\w.:@-]{1,64}$/, '1-64 letters, digits or . : @ _ -').optional()),
  // The answer is one string before it is sent, and V8's longest is just under 512 Mi characters: 256 MiB at most.
  RESPONSE_MAX_BYTES: setting(integer(65_536, 268_435_456).default(67_108_864)),
  NODE_ENV: z.string().optional(),
});

/** Variables whose value never appears in an error. */
const SECRET = new Set(['DATABASE_URL', 'BRIDGE_BOOTSTRAP_KEY', 'LOGIKAL_PASSWORD']);

/** Parses and checks the environment; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): BridgeConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const { path, message } = parsed.error.issues[0];
    const variable = String(path[0]);
    throw new ConfigError(variable, message, SECRET.has(variable) ? undefined : env[variable]);
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  const database: BridgeConfig['database'] = e.DATABASE_URL
    ? { type: 'postgres', url: e.DATABASE_URL }
    : { type: 'sqlite', path: join(dataDir, 'bridge.sqlite') };
  return {
    port: e.PORT,
    host: e.HOST,
    database,
    dataDir,
    logikal: { url: e.LOGIKAL_URL, username: e.LOGIKAL_USERNAME, password: e.LOGIKAL_PASSWORD, maxSessions: e.LOGIKAL_MAX_SESSIONS },
    syncCron: e.SYNC_CRON.toLowerCase() === 'off' ? null : e.SYNC_CRON,
    syncTimezone: e.SYNC_TZ,
    trackedDirectories: (e.TRACKED_DIRECTORIES ?? '')
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d !== ''),
    nightlyRetrySeconds: e.NIGHTLY_RETRY_SECONDS,
    logLevel: e.LOG_LEVEL,
    bootstrapKey: e.BRIDGE_BOOTSTRAP_KEY,
    migrateOnStart: e.MIGRATE_ON_START ?? database.type === 'sqlite',
    dbName: e.BRIDGE_DB_NAME,
    responseMaxBytes: e.RESPONSE_MAX_BYTES,
    production: e.NODE_ENV === 'production',
    maxActiveRuns: e.MAX_ACTIVE_RUNS ?? e.LOGIKAL_MAX_SESSIONS,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    instanceId: e.BRIDGE_INSTANCE_ID ?? hostname().slice(0, 64),
  };
}

/** Values that must never appear in a log line, a table or an error. */
export function secretsOf(config: BridgeConfig): string[] {
  const s = [config.logikal.password, config.bootstrapKey];
  if (config.database.type === 'postgres') {
    try {
      const p = new URL(config.database.url).password;
      if (p) s.push(decodeURIComponent(p));
    } catch {
      /* validated earlier */
    }
  }
  return s.filter((x): x is string => !!x && x.length >= 4);
}
