import { LogikalError } from '../logikal';
import { PartsListError } from '../parts/parts-list-parser';
import { BridgeError } from '../errors';

/**
 * A reason safe to store on the run and show in Odoo: Logikal and parts-list errors carry messages
 * written for people; anything else (a database or programming error) is named, not quoted.
 */
export function describeFailure(err: unknown): string {
  if (err instanceof LogikalError || err instanceof BridgeError) return err.message;
  if (err instanceof PartsListError) return `parts list rejected (${err.reason}): ${err.message}`;
  return `internal error (${err instanceof Error ? err.name : typeof err}); see the bridge log`;
}
