import { ConfigError, loadConfig, type BridgeConfig } from '../config';
import { configureLogging } from '../logging';

/**
 * Reads the config first thing in every command that needs it: a bad value stops the command with
 * one line naming the variable, and exit code 2.
 */
export function cliConfig(): BridgeConfig {
  try {
    const c = loadConfig();
    configureLogging({ level: c.logLevel, production: c.production });
    return c;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`logikal-bridge: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** One line on stderr, exit 1: for any failure a deploy script should see. */
export function fail(err: unknown): never {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`logikal-bridge: ${msg}\n`);
  process.exit(1);
}
