import { registerSecret } from '../logging';
import { capabilityServerUrl, LogikalCapabilities, type CapabilityStore } from './capabilities';
import { HeldSession } from './held-session';
import { LogikalError, LogikalShutdownError } from './logikal-errors';
import { keepAliveAgent, LogikalHttp, parseJsonBody } from './logikal-http';
import type { TransportOptions } from './logikal-http';
import { LogikalPolicy } from './logikal-policy';
import { LogikalSession } from './logikal-session';
import { toVersion } from './logikal-types';
import type { LogikalPath, LogikalVersion } from './logikal-types';
import { SessionPool } from './session-pool';
import type { PoolStats, SessionLease } from './session-pool';
import type { SeatBudget, SeatWaitListener } from './seat-budget';

export interface LogikalClientOptions {
  /** Ends in /api/v3, e.g. http://host/MbioeService.svc/api/v3 (a trailing slash is fine). */
  baseUrl: string;
  username: string;
  password: string;
  /** Concurrent Logikal sessions for this client (the app makes one client per process). */
  maxSessions: number;
  /** Per JSON call. Default 30000. */
  callTimeoutMs?: number;
  /** Parts lists and thumbnails. Default 60000. */
  downloadTimeoutMs?: number;
  /** In-place retries of GETs, further logins after transient faults, and unit replays after transient failures. Default 3. */
  retries?: number;
  /** Backoff between attempts: equal-jitter exponential from base, capped at max. Defaults 250 / 5000. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How long an open circuit (or shut login gate) fails calls fast before probing Logikal again. Default 6 × backoffMaxMs (30 s). */
  cooldownMs?: number;
  /** Login attempts while Logikal has no seat for us (licence refusals). Default 8. */
  licenceAttempts?: number;
  /** Told about every HTTP exchange with LogiKal (metrics). */
  onRequest?: TransportOptions['onRequest'];
  /** Where learnt capabilities (sibling selects) are kept across restarts; default: this process only. */
  capabilityStore?: CapabilityStore;
  /** The licence budget shared with other instances (PostgreSQL); default: maxSessions is this process's. */
  seats?: SeatBudget;
  /** Told while a login waits for a licence seat. */
  onSeatWait?: SeatWaitListener;
}

export interface UnitOptions {
  /** A session from {@link LogikalClient.acquire} to use first (logged in ahead of need). Ownership passes to the call. */
  lease?: SessionLease;
  /**
   * Where every (further) session of the unit comes from; default the pool. A caller holding
   * sessions logged in ahead of need passes its own source, so a replay uses one of those instead
   * of waiting in the pool while they sit idle (which, across runs, could deadlock the pool).
   */
  acquire?: () => Promise<SessionLease>;
}

export type ClientStats = PoolStats;

/**
 * The Logikal MBIOE REST v3 client. A unit of work runs in a fresh session, logged out afterwards
 * ({@link withPath}), or in one kept for further units ({@link hold}), which walks on sideways when
 * the server allows it ({@link capabilities}); concurrency is bounded by the session pool.
 */
export class LogikalClient {
  /** What this LogiKal server lets a session do beyond the strict walk, learnt by trying. */
  readonly capabilities: LogikalCapabilities;
  private readonly transport: TransportOptions;
  private readonly pool: SessionPool;
  private readonly stopController = new AbortController();
  private loggingIn = 0;

  constructor(opts: LogikalClientOptions) {
    let url: URL;
    try {
      url = new URL(opts.baseUrl);
    } catch {
      throw new LogikalError('Logikal base URL is not a valid URL', { local: true });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LogikalError('Logikal base URL must be http(s)', { local: true });
    if (url.search || url.hash || url.username || url.password)
      throw new LogikalError('Logikal base URL must not carry credentials, a query or a fragment', { local: true });
    if (!opts.username || !opts.password) throw new LogikalError('Logikal username and password are required', { local: true });
    registerSecret(opts.password);
    const nonNeg = (v: number | undefined, def: number): number => (v === undefined || !Number.isFinite(v) || v < 0 ? def : v);
    const backoffMaxMs = nonNeg(opts.backoffMaxMs, 5_000);
    const retries = Math.floor(nonNeg(opts.retries, 3));
    const policy = new LogikalPolicy({
      retries,
      backoffBaseMs: nonNeg(opts.backoffBaseMs, 250),
      backoffMaxMs,
      cooldownMs: nonNeg(opts.cooldownMs, 6 * backoffMaxMs),
      probe: () => this.probe(),
      stop: this.stopController.signal,
    });
    this.transport = {
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
      callTimeoutMs: nonNeg(opts.callTimeoutMs, 30_000) || 30_000,
      downloadTimeoutMs: nonNeg(opts.downloadTimeoutMs, 60_000) || 60_000,
      policy,
      stop: this.stopController.signal,
      onRequest: opts.onRequest,
      agent: keepAliveAgent(opts.baseUrl),
    };
    this.capabilities = new LogikalCapabilities(
      capabilityServerUrl(this.transport.baseUrl),
      () => this.versionOnce(),
      opts.capabilityStore,
    );
    this.pool = new SessionPool({
      maxSessions: opts.maxSessions,
      createSession: () => new LogikalSession({ transport: this.transport, username: opts.username, password: opts.password }),
      policy,
      licenceAttempts: opts.licenceAttempts,
      loginRetries: retries,
      seats: opts.seats,
      onSeatWait: opts.onSeatWait,
    });
  }

  /** GET /version needs no session (and costs no licence seat). */
  version(): Promise<LogikalVersion> {
    return this.askVersion('idempotent');
  }

  /** One GET /version, not retried: which server this is, for its capabilities (a failure leaves them unknown). */
  private versionOnce(): Promise<LogikalVersion> {
    return this.askVersion('none');
  }

  /** One GET /version, not retried: the login gate's "does Logikal answer at all?" (no seat, ~50 ms). */
  private async probe(): Promise<void> {
    await this.askVersion('none', false);
  }

  /** GET /version on a connection of its own, closed afterwards. */
  private async askVersion(retry: 'none' | 'idempotent', read = true): Promise<LogikalVersion> {
    const http = new LogikalHttp(this.transport);
    try {
      const res = await http.call({ method: 'GET', segments: ['version'], retry });
      return read ? toVersion(parseJsonBody(res, 'GET /version')) : { componentVersions: [] };
    } finally {
      http.close();
    }
  }

  /**
   * A logged-in session leased from the pool, for logging in ahead of need (login is the long
   * pole, ~4.5 s on the real server). The caller must release() it or hand it to withPath/withSession.
   * Holding leases while waiting for another one from the same client can deadlock at maxSessions.
   */
  acquire(): Promise<SessionLease> {
    return this.login();
  }

  /** Every login goes through here, so a shutdown knows when none is in flight any more. */
  private async login(): Promise<SessionLease> {
    this.loggingIn++;
    try {
      return await this.pool.acquire();
    } finally {
      this.loggingIn--;
    }
  }

  /** Runs fn in a fresh session (at root); always logs out afterwards, also on failure. */
  async withSession<T>(fn: (s: LogikalSession) => Promise<T>, options: UnitOptions = {}): Promise<T> {
    const lease = options.lease ?? (await this.login());
    try {
      return await fn(lease.session);
    } finally {
      await lease.release();
    }
  }

  /**
   * Runs fn in a fresh session walked to `path`. Selects are never retried in place; the unit is
   * replayed from the root on a new session instead (see {@link LogikalPolicy.replayUnit}):
   * - once more after the session was lost (401) or lost its context (a server 405);
   * - up to `retries` times after transient failures (5xx, timeout, connection), with backoff.
   * fn may therefore run more than once and must be safe to repeat.
   */
  withPath<T>(path: LogikalPath, fn: (s: LogikalSession) => Promise<T>, options: UnitOptions = {}): Promise<T> {
    const acquire = options.acquire ?? (() => this.login());
    return this.transport.policy.replayUnit(
      (attempt) => (attempt === 0 && options.lease ? Promise.resolve(options.lease) : acquire()),
      async (lease) => {
        await lease.session.walk(path);
        return fn(lease.session);
      },
    );
  }

  /**
   * Like {@link withPath} (same replays on fresh sessions), but the session of the attempt that
   * succeeded is kept, where fn left it, for further units: the caller owns it and must release it.
   */
  async hold<T>(
    path: LogikalPath,
    fn: (s: LogikalSession) => Promise<T>,
    options: UnitOptions = {},
  ): Promise<{ value: T; held: HeldSession }> {
    const acquire = options.acquire ?? (() => this.login());
    let kept: SessionLease | undefined;
    const value = await this.transport.policy.replayUnit(
      async (attempt) => {
        const lease = attempt === 0 && options.lease ? options.lease : await acquire();
        return { lease, release: () => (kept === lease ? Promise.resolve() : lease.release()) };
      },
      async ({ lease }) => {
        await lease.session.walk(path);
        const v = await fn(lease.session);
        kept = lease;
        return v;
      },
    );
    return { value, held: new HeldSession(kept!, this.capabilities) };
  }

  /** A session from {@link acquire} (or a stash of them) to be walked by {@link HeldSession.run}; released by it. */
  adopt(lease: SessionLease): HeldSession {
    return new HeldSession(lease, this.capabilities);
  }

  stats(): ClientStats {
    return this.pool.stats();
  }

  /**
   * Shutdown: aborts every call in flight (logouts excepted) and refuses new sessions, then waits
   * until the units holding sessions have logged them out, at most `waitMs`. True when none is open.
   */
  async shutdown(waitMs: number): Promise<boolean> {
    this.pool.stop(new LogikalShutdownError());
    this.stopController.abort();
    const deadline = Date.now() + waitMs;
    const done = (): boolean => this.pool.stats().open === 0 && this.loggingIn === 0;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (done()) this.transport.agent?.destroy();
    return done();
  }
}
