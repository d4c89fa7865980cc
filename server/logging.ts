import winston from 'winston';
import type { Logger } from 'winston';

/**
 * Secrets are redacted at the logger, not at each call site, so a careless
 * `log.info({ config })` still cannot leak them.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

export function forgetSecret(value: string | undefined): void {
  if (value) secrets.delete(value);
}

const SECRET_KEYS = /^(password|passwd|token|authorization|apikey|api_key|key|secret|cookie|set-cookie)$/i;

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
    return out;
  }
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message, depth + 1), stack: redact(value.stack, depth + 1) };
  }
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k) && v !== undefined && v !== null && v !== '' ? '[REDACTED]' : redact(v, depth + 1);
  }
  return out;
}

const redactFormat = winston.format((info) => {
  const rec = info as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    if (key === 'level') continue;
    rec[key] = SECRET_KEYS.test(key) && rec[key] ? '[REDACTED]' : redact(rec[key]);
  }
  return info;
});

function readable() {
  return winston.format.printf((info) => {
    const { level, message, timestamp, area, ...rest } = info as Record<string, unknown> & { timestamp?: string; area?: string };
    const meta = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
    return `${timestamp} ${String(level).padEnd(5)} [${area ?? 'app'}] ${String(message)}${meta}`;
  });
}

export const rootLogger: Logger = winston.createLogger({
  level: process.env.LOG_LEVEL ? process.env.LOG_LEVEL.toLowerCase() : 'info',
  format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
});

/** Called once at start-up with the parsed config. */
export function configureLogging(opts: { level: string; production: boolean; silent?: boolean }): void {
  rootLogger.level = opts.level;
  rootLogger.format = winston.format.combine(
    redactFormat(),
    winston.format.timestamp(),
    opts.production ? winston.format.json() : readable(),
  );
  for (const t of rootLogger.transports) t.silent = !!opts.silent;
}

/** A child logger for one area of the bridge (rpc, sync, logikal, db, cron, emulator, cli). */
export function getLogger(area: string): Logger {
  return rootLogger.child({ area });
}
