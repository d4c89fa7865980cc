import type { RetryPolicy } from 'cockatiel';
import { getLogger } from '../logging';
import { LogikalLicenceExhaustedError } from './logikal-errors';
import type { LogikalPolicy } from './logikal-policy';
import type { LogikalSession } from './logikal-session';

const log = getLogger('logikal');

export interface PoolStats {
  /** Successful logins. */
  logins: number;
  /** Sessions closed (logout confirmed, or token already gone). */
  logouts: number;
  /** Logouts that failed after retries (server session may linger until it expires). */
  failedLogouts: number;
  /** Logged-in sessions right now. */
  open: number;
  /** Most sessions logged in at once. */
  peak: number;
  /** Callers queued for a slot. */
  waiting: number;
  /** Logins refused for the licence/session cap. */
  refusedLogins: number;
  /** Current concurrency limit (lowered after licence refusals, restored gradually). */
  effectiveLimit: number;
}

/** A logged-in session owned by one caller until release(); release logs out and never throws. */
export interface SessionLease {
  readonly session: LogikalSession;
  release(): Promise<void>;
}

export interface SessionPoolOptions {
  maxSessions: number;
  createSession: () => LogikalSession;
  /** Backs off between refused logins; its cooldownMs is the quiet time after a refusal (and between steps) before the limit grows by one. */
  policy: LogikalPolicy;
  /** Login attempts while the licence cap refuses us. Default 8. */
  licenceAttempts?: number;
}

/**
 * Bounds concurrent Logikal sessions for the whole process (one pool per LogikalClient). Slots are
 * handed out FIFO; a slot is taken before login and freed after logout, so "in flight" logins count
 * against the cap too. Sessions are never reused: each lease is a fresh login.
 *
 * Licence refusals: the slot is given back, the effective limit drops to what is actually logged in
 * (someone else holds seats), the caller backs off (capped, jittered) and requeues at the front.
 * The limit grows back by one per quiet period, so a permanently smaller seat count costs a bounded
 * number of refusals instead of a hot loop.
 */
export class SessionPool {
  private inUse = 0;
  private openCount = 0;
  private effectiveLimit: number;
  private readonly waiters: Array<(refused?: Error) => void> = [];
  private lastRefusalAt = 0;
  private lastGrowAt = 0;
  private counters = { logins: 0, logouts: 0, failedLogouts: 0, peak: 0, refusedLogins: 0 };
  private stopped: Error | undefined;
  private readonly licenceRetry: RetryPolicy;

  constructor(private readonly opts: SessionPoolOptions) {
    if (!Number.isInteger(opts.maxSessions) || opts.maxSessions < 1) throw new RangeError('maxSessions must be an integer ≥ 1');
    this.effectiveLimit = opts.maxSessions;
    this.licenceRetry = opts.policy.licenceRetry(opts.licenceAttempts ?? 8);
    this.licenceRetry.onRetry(({ attempt, delay }) => {
      log.info('logikal login refused for the session cap; backing off', {
        attempt,
        waitMs: delay,
        open: this.openCount,
        effectiveLimit: this.effectiveLimit,
      });
    });
  }

  stats(): PoolStats {
    return {
      ...this.counters,
      open: this.openCount,
      waiting: this.waiters.length,
      effectiveLimit: this.effectiveLimit,
    };
  }

  /** After this, waiting and new acquires fail with `reason`; sessions already out are released by their holders. */
  stop(reason: Error): void {
    this.stopped = reason;
    for (const w of this.waiters.splice(0)) w(reason);
  }

  /** Waits for a slot, logs in (backing off on licence refusals, requeued at the front) and returns the lease. */
  acquire(): Promise<SessionLease> {
    return this.licenceRetry.execute(async ({ attempt }) => {
      await this.takeSlot(attempt > 0);
      const session = this.opts.createSession();
      try {
        await session.login();
      } catch (err) {
        this.releaseSlot();
        if (err instanceof LogikalLicenceExhaustedError) {
          // Someone else holds seats: the limit drops to what we have logged in.
          this.counters.refusedLogins++;
          this.lastRefusalAt = Date.now();
          this.effectiveLimit = Math.max(1, Math.min(this.effectiveLimit, this.openCount));
        }
        throw err;
      }
      this.counters.logins++;
      this.openCount++;
      this.counters.peak = Math.max(this.counters.peak, this.openCount);
      this.maybeGrow();
      log.info('logikal login', { session: session.serial, open: this.openCount, logins: this.counters.logins });
      return this.lease(session);
    });
  }

  private lease(session: LogikalSession): SessionLease {
    let released: Promise<void> | undefined;
    return {
      session,
      release: () => {
        released ??= (async () => {
          let ok: boolean;
          try {
            ok = await session.logout();
          } catch {
            ok = false;
          }
          this.openCount--;
          if (ok) this.counters.logouts++;
          else this.counters.failedLogouts++;
          log.info('logikal logout', { session: session.serial, ok, open: this.openCount, logouts: this.counters.logouts });
          this.releaseSlot();
        })();
        return released;
      },
    };
  }

  private takeSlot(front: boolean): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped);
    if (this.inUse < this.effectiveLimit && (front || this.waiters.length === 0)) {
      this.inUse++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = (refused?: Error): void => {
        if (refused) return reject(refused);
        this.inUse++;
        resolve();
      };
      if (front) this.waiters.unshift(grant);
      else this.waiters.push(grant);
    });
  }

  private releaseSlot(): void {
    this.inUse--;
    this.maybeGrow();
    this.dispatch();
  }

  private dispatch(): void {
    while (this.waiters.length > 0 && this.inUse < this.effectiveLimit) this.waiters.shift()!();
  }

  private maybeGrow(): void {
    if (this.effectiveLimit >= this.opts.maxSessions) return;
    const quiet = this.opts.policy.cooldownMs;
    const now = Date.now();
    if (now - this.lastRefusalAt >= quiet && now - this.lastGrowAt >= quiet) {
      this.effectiveLimit++;
      this.lastGrowAt = now;
      this.dispatch();
    }
  }
}
