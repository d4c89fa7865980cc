import { DelegateBackoff, handleWhen, retry } from 'cockatiel';
import type { IRetryBackoffContext } from 'cockatiel';
import { getLogger } from '../logging';
import { LogikalError, LogikalLicenceExhaustedError, LogikalServerError, isTransientFault } from './logikal-errors';
import type { LogikalPolicy } from './logikal-policy';
import type { Reachability } from './login-gate';
import type { LogikalSession } from './logikal-session';
import type { Seat, SeatBudget, SeatWaitListener } from './seat-budget';

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
  /** Logins refused for "no seat now" (licence/session cap). */
  refusedLogins: number;
  /** Current concurrency limit (lowered after licence refusals and lost login replies, restored gradually). */
  effectiveLimit: number;
  /** POST /auth requests sent. */
  loginAttempts: number;
  /** Logins whose reply was lost (timeout, reset): each may hold a seat we cannot free. */
  lostLogins: number;
  /** What the login gate knows of Logikal: 'unreachable' = logins fail at once until the cool-down ends. */
  reachability: Reachability;
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
  /** Login attempts while Logikal has no seat for us. Default 8. */
  licenceAttempts?: number;
  /** Further logins after transient faults (5xx, timeouts, resets), paced by the login gate. Default 3. */
  loginRetries?: number;
  /** The licence budget shared with other instances; default: maxSessions is this process's alone. */
  seats?: SeatBudget;
  /** Told while a login waits for a seat (this pool's or the shared budget's). */
  onSeatWait?: SeatWaitListener;
}

/** Why a failed login may be tried again: Logikal has no seat now, or a transient fault. */
function retryKind(err: unknown): 'noSeat' | 'fault' | undefined {
  if (err instanceof LogikalLicenceExhaustedError) return 'noSeat';
  return isTransientFault(err) ? 'fault' : undefined;
}

/**
 * Bounds concurrent Logikal sessions for the whole process (one pool per LogikalClient). Slots are
 * handed out FIFO; a slot is taken before login and freed after logout, so "in flight" logins count
 * against the cap too. Sessions are never reused: each lease is a fresh login.
 *
 * Every login goes through the policy's login gate (paced, probed while Logikal is not known to
 * answer, shut while it is unreachable). A failed login gives its slot back; when it may succeed
 * later it requeues at the front:
 * - "no seat now" (a licence refusal, or a 503 while Logikal otherwise answers): the caller backs
 *   off (capped, jittered), up to licenceAttempts logins. On a licence refusal the effective limit
 *   drops to what is actually logged in (someone else holds seats);
 * - a transient fault: up to loginRetries more, backed off (and paced by the gate); a lost login
 *   reply also costs a seat (see {@link SessionPool.seatMayHaveLeaked});
 * - credentials (400/401), Logikal unreachable, a shutdown, anything else: final.
 * A lowered limit grows back by one per quiet period, so a permanently smaller seat count costs a
 * bounded number of refusals instead of a hot loop.
 */
export class SessionPool {
  private inUse = 0;
  private openCount = 0;
  private effectiveLimit: number;
  private readonly waiters: Array<(refused?: Error) => void> = [];
  private lastRefusalAt = 0;
  private lastGrowAt = 0;
  private counters = { logins: 0, logouts: 0, failedLogouts: 0, peak: 0, refusedLogins: 0, loginAttempts: 0, lostLogins: 0 };
  private stopped: Error | undefined;

  constructor(private readonly opts: SessionPoolOptions) {
    if (!Number.isInteger(opts.maxSessions) || opts.maxSessions < 1) throw new RangeError('maxSessions must be an integer ≥ 1');
    this.effectiveLimit = opts.maxSessions;
  }

  stats(): PoolStats {
    return {
      ...this.counters,
      open: this.openCount,
      waiting: this.waiters.length,
      effectiveLimit: this.effectiveLimit,
      reachability: this.opts.policy.logins.reachability,
    };
  }

  /** After this, waiting and new acquires fail with `reason`; sessions already out are released by their holders. */
  stop(reason: Error): void {
    this.stopped = reason;
    for (const w of this.waiters.splice(0)) w(reason);
  }

  /** Waits for a slot, logs in (retrying as the class comment says) and returns the lease. */
  acquire(): Promise<SessionLease> {
    const limit = { noSeat: Math.max(1, this.opts.licenceAttempts ?? 8) - 1, fault: this.opts.loginRetries ?? 3 };
    const used = { noSeat: 0, fault: 0 };
    const logins = retry(
      handleWhen((err) => {
        const kind = retryKind(err);
        return kind !== undefined && used[kind]++ < limit[kind];
      }),
      {
        maxAttempts: limit.noSeat + limit.fault,
        // Never at once: after a fault the login gate also holds back every other login.
        backoff: new DelegateBackoff<IRetryBackoffContext<unknown>>(({ result }) => {
          const err = 'error' in result ? (result.error as LogikalError) : undefined;
          return this.opts.policy.waitBefore((retryKind(err) === 'noSeat' ? used.noSeat : used.fault) - 1, err);
        }),
      },
    );
    logins.onRetry((e) => {
      const error = 'error' in e ? e.error : undefined;
      log.info('logikal login failed; trying again', {
        error: error?.message,
        waitMs: e.delay,
        open: this.openCount,
        effectiveLimit: this.effectiveLimit,
      });
    });
    return logins.execute(({ attempt }) => this.login(attempt > 0));
  }

  /** One login in a slot of its own (at the front of the queue for a retry). */
  private async login(front: boolean): Promise<SessionLease> {
    await this.takeSlot(front);
    let seat: Seat | undefined;
    try {
      seat = await this.takeSeat();
    } catch (err) {
      this.releaseSlot();
      throw err;
    }
    const session = this.opts.createSession();
    try {
      await this.opts.policy.logins.run(() => {
        this.counters.loginAttempts++;
        return session.login();
      });
    } catch (err) {
      const failure = await this.account(err);
      await seat?.release();
      this.releaseSlot();
      throw failure;
    }
    this.counters.logins++;
    this.openCount++;
    this.counters.peak = Math.max(this.counters.peak, this.openCount);
    this.maybeGrow();
    log.info('logikal login', { session: session.serial, open: this.openCount, logins: this.counters.logins });
    return this.lease(session, seat);
  }

  /** A seat of the budget shared with other instances, if there is one. */
  private async takeSeat(): Promise<Seat | undefined> {
    if (!this.opts.seats) return undefined;
    const waited = this.opts.onSeatWait?.();
    try {
      return await this.opts.seats.take(() => this.stopped);
    } finally {
      waited?.();
    }
  }

  /** Books a failed login; returns the error to retry on or give up with. */
  private async account(err: unknown): Promise<unknown> {
    if (err instanceof LogikalLicenceExhaustedError) {
      // Someone else holds seats: the limit drops to what we have logged in.
      this.counters.refusedLogins++;
      this.lastRefusalAt = Date.now();
      this.effectiveLimit = Math.max(1, Math.min(this.effectiveLimit, this.openCount));
      return err;
    }
    // A bare 503 is what a Logikal that is down answers too: if it answers otherwise, it is "no
    // seat now" (waited for, but without lowering the limit: it may as well be a passing overload).
    if (
      err instanceof LogikalServerError &&
      err.status === 503 &&
      err.operation === 'POST /auth' &&
      (await this.opts.policy.logins.answers())
    ) {
      this.counters.refusedLogins++;
      return new LogikalLicenceExhaustedError(`${err.message} (Logikal answers otherwise: no seat for now)`, {
        operation: err.operation,
        status: err.status,
        logikalCode: err.logikalCode,
        retryAfterMs: err.retryAfterMs,
      });
    }
    // (A probe's lost reply costs nothing: GET /version opens no session.)
    if (err instanceof LogikalError && err.replyLost && err.operation === 'POST /auth') this.seatMayHaveLeaked();
    return err;
  }

  /**
   * A login whose reply was lost (timeout, reset after the request went out) may have created a
   * session whose token never reached us: it holds a seat until Logikal expires it, and nothing can
   * log it out. So the limit counts one seat less for a quiet period (as after a licence refusal),
   * rather than running into a cap we cannot see; and the next login is not sent at once (the login
   * gate waits a backoff and probes first): a server too slow to answer in time would only leak the
   * next seat the same way.
   */
  private seatMayHaveLeaked(): void {
    this.counters.lostLogins++;
    this.lastRefusalAt = Date.now();
    this.effectiveLimit = Math.max(1, this.effectiveLimit - 1);
    log.warn('logikal login reply lost: the session it may have opened holds a seat until Logikal expires it', {
      effectiveLimit: this.effectiveLimit,
    });
  }

  private lease(session: LogikalSession, seat: Seat | undefined): SessionLease {
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
          await seat?.release();
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
    const waited = this.opts.onSeatWait?.();
    return new Promise<void>((resolve, reject) => {
      const grant = (refused?: Error): void => {
        waited?.();
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
    if (this.inUse === 0 && this.openCount === 0) this.opts.policy.logins.idle();
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
