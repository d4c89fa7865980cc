import { LogikalError, LogikalNotFoundError } from '../logikal';
import { PartsListError } from '../parts/parts-list-parser';
import { BridgeError, NotFoundError } from '../errors';

/**
 * A reason safe to store on the run and show in Odoo: Logikal and parts-list errors carry messages
 * written for people; anything else (a database or programming error) is named, not quoted.
 */
export function describeFailure(err: unknown): string {
  if (err instanceof LogikalError || err instanceof BridgeError) return err.message;
  if (err instanceof PartsListError) return `parts list rejected (${err.reason}): ${err.message}`;
  return `internal error (${err instanceof Error ? err.name : typeof err}); see the bridge log`;
}

/** Logikal's 404 on a directory select says "not found" without the name: name the directory asked for. */
export function missingDirectory(err: unknown, path: string): unknown {
  if (err instanceof LogikalNotFoundError && err.operation === 'POST /directories/select') {
    return new NotFoundError(`Directory "${path}" not found in Logikal`);
  }
  return err;
}
