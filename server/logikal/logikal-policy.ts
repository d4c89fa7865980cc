import {
  BrokenCircuitError,
  CountBreaker,
  DelegateBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
} from 'cockatiel';
import type { CircuitBreakerPolicy, FailureReason, IRetryBackoffContext, RetryPolicy } from 'cockatiel';
import { getLogger } from '../logging';
import { LogikalCircuitOpenError, LogikalTimeoutError, isTransientFault, replayKind } from './logikal-errors';
import { LoginGate } from './login-gate';

const log = getLogger('logikal');

export interface PolicyOptions {
  /** In-place retries of idempotent calls, and unit replays after transient faults. */
  retries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /**
   * How long an open circuit refuses calls before one probe goes through; also the session pool's
   * quiet time before it raises a lowered limit again. Default 6 × backoffMaxMs (30 s).
   */
  cooldownMs?: number;
  /** A seat-free request (GET /version) the login gate sends before logging in to a Logikal not known to answer. */
  probe?: () => Promise<void>;
  /** Aborted at shutdown: logins waiting in the login gate give up. */
  stop?: AbortSignal;
}

/**
 * How a failed call may be repeated in place:
 * - 'none': never — a select (or any POST) may have changed the server's state; the unit is replayed
 *   instead. Logins too: the session pool retries them through the login gate (a login whose reply
 *   was lost may hold a seat, and a dead server must not see a burst of them);
 * - 'idempotent': GETs, up to `retries` times;
 * - 'logout': DELETE /auth, at least twice more (a leaked session may hold a licence seat), and not
 *   held back by an open circuit for the same reason.
 */
export type RetryMode = 'none' | 'idempotent' | 'logout';

/**
 * The breaker opens when more than 90 % of the last 20 attempts (at least 10) failed transiently:
 * a Logikal that is down trips it within ~10 attempts, one that merely fails often (the fault tests
 * run 30–40 % failures) practically never does.
 */
const BREAKER = { threshold: 0.9, size: 20, minimumNumberOfCalls: 10 };

/**
 * Logins and probes failing in a row that shut logins (see LoginGate): a force sync against a dead
 * Logikal must cost at most 3 attempts, and 3 faults with no answer between them are not bad luck
 * at the fault rates Logikal was seen with (a success of any call breaks the row).
 */
const LOGIN_FAULTS_TO_SHUT = 3;

/** Capped exponential backoff with "equal jitter": [d/2, d) where d = min(max, base·2^attempt). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(d / 2 + random() * (d / 2));
}

/**
 * The one timeout/retry/circuit-breaker policy for Logikal calls of one client (shared by all its
 * sessions). Which errors are transient is decided in logikal-errors.ts, not here.
 *
 * Every attempt of a call has its own wall-clock timeout (connect to last body byte) and, except
 * logouts, passes the circuit breaker; an open circuit fails fast with LogikalCircuitOpenError.
 * Waits between attempts follow {@link backoffDelay}, at least the server's Retry-After (capped at
 * backoffMaxMs when parsed).
 */
export class LogikalPolicy {
  readonly cooldownMs: number;
  /** Paces logins of every session of this client; sees the outcome of every call. */
  readonly logins: LoginGate;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly inPlace: RetryPolicy;
  private readonly logout: RetryPolicy;

  constructor(private readonly opts: PolicyOptions) {
    this.cooldownMs = opts.cooldownMs ?? 6 * opts.backoffMaxMs;
    this.breaker = circuitBreaker(handleWhen(isTransientFault), { halfOpenAfter: this.cooldownMs, breaker: new CountBreaker(BREAKER) });
    this.breaker.onBreak(() => log.warn('logikal circuit open: calls fail fast until a probe succeeds', { cooldownMs: this.cooldownMs }));
    this.breaker.onReset(() => log.info('logikal circuit closed'));
    this.inPlace = this.retrying(opts.retries, 'logikal call retry');
    this.logout = this.retrying(Math.max(2, opts.retries), 'logikal logout retry');
    this.logins = new LoginGate({
      delay: (n, fault) => this.waitBefore(n, fault),
      cooldownMs: this.cooldownMs,
      probe: opts.probe ?? (() => Promise.resolve()),
      threshold: LOGIN_FAULTS_TO_SHUT,
      stop: opts.stop,
    });
  }

  /** The longest backoff between attempts; a server's Retry-After is capped to it. */
  get maxWaitMs(): number {
    return this.opts.backoffMaxMs;
  }

  /** One HTTP call; `attempt` must stop when its signal aborts (the timeout has already failed the call). */
  call<T>(operation: string, mode: RetryMode, timeoutMs: number, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const once = async (): Promise<T> => {
      try {
        const result = await this.timed(operation, timeoutMs, attempt);
        this.logins.observe(undefined);
        return result;
      } catch (err) {
        this.logins.observe(err);
        throw err;
      }
    };
    if (mode === 'logout') return this.logout.execute(once);
    if (mode === 'idempotent') return this.inPlace.execute(() => this.gated(operation, once));
    return this.gated(operation, once);
  }

  /**
   * Runs `work` on a fresh lease per attempt, replaying the whole unit from the root (never a single
   * select): once after the server lost the session or its position, up to `retries` times after
   * transient faults, with backoff. Failures of `open` (a login, which had its own retries and
   * licence backoff) are final. Leases are released before the wait.
   */
  replayUnit<L extends { release(): Promise<void> }, T>(open: (attempt: number) => Promise<L>, work: (lease: L) => Promise<T>): Promise<T> {
    const limit = { context: 1, transient: this.opts.retries };
    const used = { context: 0, transient: 0 };
    let opened = false;
    const replays = retry(
      handleWhen((err) => {
        const kind = opened ? replayKind(err) : undefined;
        return kind !== undefined && used[kind]++ < limit[kind];
      }),
      {
        maxAttempts: limit.context + limit.transient,
        backoff: new DelegateBackoff<IRetryBackoffContext<unknown>>(({ result }) =>
          replayKind(errorOf(result)) === 'transient' ? this.delay(used.transient - 1, result) : 0,
        ),
      },
    );
    replays.onRetry((e) => {
      log.debug('logikal unit replay on a fresh session', {
        reason: errorOf(e)?.name,
        operation: errorOf(e)?.operation,
        attempt: e.attempt,
      });
    });
    return replays.execute(async ({ attempt }) => {
      opened = false;
      const lease = await open(attempt);
      opened = true;
      try {
        return await work(lease);
      } finally {
        await lease.release();
      }
    });
  }

  /** In-place retries of transient faults. */
  private retrying(retries: number, message: string): RetryPolicy {
    const policy = retry(handleWhen(isTransientFault), { maxAttempts: retries, backoff: this.backoff() });
    policy.onRetry((e) =>
      log.debug(message, { operation: errorOf(e)?.operation, attempt: e.attempt, waitMs: e.delay, error: errorOf(e)?.name }),
    );
    return policy;
  }

  private backoff(): DelegateBackoff<IRetryBackoffContext<unknown>> {
    return new DelegateBackoff(({ attempt, result }) => this.delay(attempt - 1, result));
  }

  /** The wait before retry n (0-based): the backoff, or the server's (capped) Retry-After if longer. */
  private delay(n: number, result: FailureReason<unknown>): number {
    return this.waitBefore(n, errorOf(result));
  }

  /** The same for a known error (or none). */
  waitBefore(n: number, err: { retryAfterMs?: number } | undefined): number {
    return Math.max(backoffDelay(n, this.opts.backoffBaseMs, this.opts.backoffMaxMs), err?.retryAfterMs ?? 0);
  }

  private async timed<T>(operation: string, timeoutMs: number, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await timeout(timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false }).execute(({ signal }) =>
        attempt(signal),
      );
    } catch (err) {
      if (err instanceof TaskCancelledError)
        throw new LogikalTimeoutError(`Logikal ${operation} timed out after ${timeoutMs} ms`, { operation, replyLost: true });
      throw err;
    }
  }

  private async gated<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await this.breaker.execute(run);
    } catch (err) {
      if (!(err instanceof BrokenCircuitError)) throw err;
      // The last failure is a LogikalError, whose message is already safe (no token, no password).
      const last = errorOf(this.breaker.lastFailure)?.message ?? 'unknown';
      throw new LogikalCircuitOpenError(
        `LogiKal is unreachable: ${last} (circuit open: ${operation} not sent; probed again within ${Math.ceil(this.cooldownMs / 1000)} s)`,
        { operation, local: true },
      );
    }
  }
}

/** The error of a failed attempt (cockatiel's FailureReason or an event carrying one). */
function errorOf(result: object | undefined): (Error & { operation?: string; retryAfterMs?: number }) | undefined {
  return result && 'error' in result ? (result.error as Error) : undefined;
}
