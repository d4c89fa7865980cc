import { setTimeout as sleep } from 'node:timers/promises';
import { getLogger } from '../logging';
import { LogikalCircuitOpenError, LogikalError, LogikalShutdownError, isTransientFault } from './logikal-errors';

const log = getLogger('logikal');

export interface LoginGateOptions {
  /** The wait before the next login after the (n+1)-th fault in a row (backoff, at least the fault's Retry-After). */
  delay(n: number, fault: LogikalError): number;
  /** How long logins stay shut once Logikal is taken for unreachable, before one probe goes out. */
  cooldownMs: number;
  /** One seat-free request (GET /version, no retry) that resolves when Logikal answers. */
  probe(): Promise<void>;
  /** Faults in a row (logins and probes, with no answer from Logikal between them) that mean "unreachable". */
  threshold: number;
  /** Aborted at shutdown: a login waiting here gives up at once. */
  stop?: AbortSignal;
}

export type Reachability = 'answering' | 'unverified' | 'unreachable';

/**
 * Paces every login of one client so that a Logikal that is down costs a few seat-free probes, not
 * a login storm: a force sync logs in ahead of need (one login per parallel task), runs start in
 * bursts (`action_force_sync` on many records), and each login costs a licence seat if it lands.
 *
 * - While Logikal is known to answer (a login or probe succeeded, or any call got an answer, and
 *   no call failed transiently since, and the pool has not gone idle), logins go out in parallel.
 * - Otherwise logins go one at a time, each first asking GET /version (fast, and no seat): a dead
 *   server sees probes, never a burst of logins. Going idle forgets "answering" on purpose: the
 *   next burst may come long after, when Logikal has gone away (a good sync, then Logikal is killed).
 * - After a fault, the next login (whoever's it is) waits a backoff.
 * - `threshold` faults in a row, with no answer from Logikal between them: unreachable. Logins then
 *   fail at once with "LogiKal is unreachable: …" for cooldownMs; after that one probe goes out,
 *   and its answer opens the gate again.
 */
export class LoginGate {
  private answering = false;
  private streak = 0;
  private notBefore = 0;
  private shutUntil = 0;
  private lastFault: LogikalError | undefined;
  private turns: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LoginGateOptions) {}

  get reachability(): Reachability {
    if (this.isShut()) return 'unreachable';
    return this.answering ? 'answering' : 'unverified';
  }

  /**
   * Runs one login attempt when the gate lets it: at once while Logikal answers, else in turn after
   * the backoff and a probe. Throws LogikalCircuitOpenError while Logikal is unreachable, or the
   * probe's fault (counted like a login's).
   */
  async run<T>(login: () => Promise<T>): Promise<T> {
    if (!this.answering) await this.inTurn(() => this.admitUnverified());
    this.throwIfShut();
    try {
      return await login();
    } catch (err) {
      if (isTransientFault(err)) this.fault(err);
      throw err;
    }
  }

  /** Whether Logikal answers GET /version right now (the probe's fault is not counted: the caller's own fault already was). */
  async answers(): Promise<boolean> {
    try {
      await this.opts.probe();
      return true;
    } catch (err) {
      return isAnswer(err);
    }
  }

  /** Every call's outcome, from the policy: an answer proves Logikal reachable; a fault casts doubt. */
  observe(err: unknown): void {
    if (err === undefined || isAnswer(err)) {
      this.answering = true;
      this.streak = 0;
    } else if (isTransientFault(err)) {
      this.answering = false;
    }
  }

  /** The pool has no session and no login in flight. */
  idle(): void {
    this.answering = false;
  }

  private async admitUnverified(): Promise<void> {
    this.throwIfShut();
    const wait = this.notBefore - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: this.opts.stop }).catch(() => undefined);
    if (this.opts.stop?.aborted) throw new LogikalShutdownError('POST /auth');
    this.throwIfShut();
    if (this.answering) return;
    try {
      await this.opts.probe();
    } catch (err) {
      // Any answer will do (a server without GET /version answers 404): only a fault is "no answer".
      if (!isAnswer(err)) {
        if (isTransientFault(err)) this.fault(err);
        throw err;
      }
    }
    this.answering = true;
    this.streak = 0;
  }

  /** One at a time: a waiting login goes after the one before it has been let through or refused. */
  private async inTurn(fn: () => Promise<void>): Promise<void> {
    const before = this.turns;
    let done!: () => void;
    this.turns = new Promise<void>((resolve) => (done = resolve));
    await before;
    try {
      await fn();
    } finally {
      done();
    }
  }

  private fault(err: LogikalError): void {
    this.answering = false;
    this.streak++;
    this.lastFault = err;
    this.notBefore = Date.now() + this.opts.delay(this.streak - 1, err);
    if (this.streak >= this.opts.threshold) {
      if (!this.isShut())
        log.warn('logikal unreachable: logins shut until a probe gets an answer', { error: err.message, cooldownMs: this.opts.cooldownMs });
      this.shutUntil = Date.now() + this.opts.cooldownMs;
    }
  }

  private isShut(): boolean {
    return this.streak >= this.opts.threshold && Date.now() < this.shutUntil;
  }

  private throwIfShut(): void {
    if (!this.isShut()) return;
    const seconds = Math.ceil((this.shutUntil - Date.now()) / 1000);
    throw new LogikalCircuitOpenError(
      `LogiKal is unreachable: ${this.lastFault?.message ?? 'no answer'} (${this.streak} attempts in a row failed; no login is sent for ${seconds} s)`,
      { operation: 'POST /auth', local: true },
    );
  }
}

/** An error reply from Logikal that is not a fault: Logikal is there and answering. */
function isAnswer(err: unknown): boolean {
  return err instanceof LogikalError && err.status !== undefined && !isTransientFault(err);
}
