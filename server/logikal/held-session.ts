import type { Capability, LogikalCapabilities } from './capabilities';
import { LogikalError, LogikalSidewaysRefusedError, LogikalWrongStateError } from './logikal-errors';
import type { LogikalSession } from './logikal-session';
import type { LogikalPath } from './logikal-types';
import type { SidewaysKind } from './session-navigation';
import type { SessionLease } from './session-pool';

const CAPABILITY: Record<SidewaysKind, Capability> = {
  elevation: 'sibling_elevation_select',
  phase: 'sibling_phase_select',
};

/** What one step on a held session gave, and whether it was reached by a sideways select. */
export interface HeldResult<T> {
  value: T;
  sideways: boolean;
}

/**
 * A logged-in session kept across units of work: each {@link run} walks it on from where it stands
 * — down, or sideways to a sibling phase or elevation when LogiKal allows that. Whether it does is
 * asked of the client's {@link LogikalCapabilities}; while unknown, the first sideways select is the
 * probe. A 409 on the sideways select, or a 405 right after it, records the capability as refused
 * and throws {@link LogikalSidewaysRefusedError}; so does a sideways move known to be refused,
 * locally, without a request. Nothing is replayed here: after any failure the caller does the
 * unit on a fresh session (and releases this one when it is no longer {@link usable}).
 */
export class HeldSession {
  private released: Promise<void> | undefined;

  constructor(
    private readonly lease: SessionLease,
    private readonly capabilities: LogikalCapabilities,
  ) {}

  get session(): LogikalSession {
    return this.lease.session;
  }

  /** Still logged in, with a known position. */
  get usable(): boolean {
    return this.released === undefined && this.lease.session.usable;
  }

  /** Walks on to `path` and runs fn there. */
  async run<T>(path: LogikalPath, fn: (s: LogikalSession) => Promise<T>): Promise<HeldResult<T>> {
    const s = this.lease.session;
    const kind = s.sidewaysMove(path);
    if (kind === undefined) {
      await s.walk(path);
      return { value: await fn(s), sideways: false };
    }
    const capability = CAPABILITY[kind];
    const claim = await this.capabilities.claim(capability);
    if (claim === 'refused') {
      throw new LogikalSidewaysRefusedError(`LogiKal does not allow selecting a sibling ${kind}; a fresh session is needed`, {
        local: true,
      });
    }
    let step: 'select' | 'after' = 'select';
    try {
      s.permitSideways(kind);
      try {
        await s.walk(path);
      } finally {
        s.permitSideways(null);
      }
      step = 'after';
      const value = await fn(s);
      if (claim === 'probe') await this.capabilities.learn(capability, true, `a sibling ${kind} select was accepted and answered for`);
      return { value, sideways: true };
    } catch (err) {
      const refusal = refusalOf(err, step);
      if (refusal === undefined) {
        if (claim === 'probe') this.capabilities.release(capability);
        throw err;
      }
      await this.capabilities.learn(capability, false, refusal);
      throw new LogikalSidewaysRefusedError(`LogiKal refused selecting a sibling ${kind}: ${refusal}`, {
        operation: (err as LogikalError).operation,
        status: (err as LogikalError).status,
      });
    }
  }

  /** Logs out (once); never throws. */
  release(): Promise<void> {
    this.released ??= this.lease.release();
    return this.released;
  }
}

/**
 * Why a failure of a sideways step shows LogiKal does not allow it, or undefined when it shows
 * nothing (a fault, a lost session: the capability stays as it was). A 409 on the select is a
 * refusal whatever its text; a 405 on the select or on the call right after it says the session
 * is not where the select should have put it.
 */
function refusalOf(err: unknown, step: 'select' | 'after'): string | undefined {
  if (!(err instanceof LogikalError) || err.local) return undefined;
  if (step === 'select' && err.status === 409) return err.message;
  if (err instanceof LogikalWrongStateError) return `${err.message} (${step === 'select' ? 'on the select' : 'right after the select'})`;
  return undefined;
}
