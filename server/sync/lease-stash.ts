import type { LogikalCapabilities, LogikalClient, SessionLease } from '../logikal';
import type { ElevationPlan } from './elevation-plan';
import type { SyncMode } from './types';

/**
 * Logins a run starts ahead of need beside the first, by how LogiKal behaved last. Strict: force
 * one per further parallel task, smart one per further phase the mirror knows. Sibling selects
 * allowed (or not known yet): force one per further session the known elevations keep busy; smart
 * none while sibling phase selects work (sessions for changed elevations are hired later).
 */
export function furtherLogins(mode: SyncMode, concurrency: number, plan: ElevationPlan, capabilities: LogikalCapabilities): number {
  const reuse = capabilities.state('sibling_elevation_select') !== 'refused';
  if (mode === 'force') return Math.max(0, reuse && plan.size ? Math.min(concurrency, plan.size) - 1 : concurrency - 1);
  if (reuse && capabilities.state('sibling_phase_select') !== 'refused') return 0;
  return Math.max(0, Math.min(concurrency - 1, plan.phaseCount - 1));
}

/**
 * Sessions logged in ahead of need. Login is the long pole (~4.5 s on the real server) and needs
 * no knowledge of the path, so a force sync starts logins while its first session is still listing
 * the project. Every task of the run takes its session from here: a ready one, the next one still
 * logging in, or a fresh one from the pool — so a logged-in session never idles while a task waits.
 */
export class LeaseStash {
  private readonly ready: SessionLease[] = [];
  private readonly waiters: Array<(lease: SessionLease | undefined) => void> = [];
  private pending = 0;
  private closed = false;
  private readonly inflight = new Set<Promise<boolean>>();

  constructor(private readonly client: LogikalClient) {}

  /**
   * Starts `n` logins in the background, all at once: a task asking meanwhile waits for one rather
   * than logging in itself. While LogiKal is not known to answer, the client's login gate lets them
   * through one at a time, each after a seat-free probe, so a LogiKal that is down costs a few
   * probes, not n logins; once it answers they go in parallel (at the seed's ~4.5 s per login,
   * waiting for a first one to succeed cost every run 4.5 s).
   */
  prefetch(n: number): void {
    if (n <= 0 || this.closed) return;
    this.pending += n;
    for (let i = 0; i < n; i++) void this.one();
  }

  private one(): Promise<boolean> {
    if (this.closed) {
      this.pending--;
      return Promise.resolve(false);
    }
    const p: Promise<boolean> = this.client
      .acquire()
      .then(
        async (lease) => {
          await this.arrive(lease);
          return true;
        },
        async () => {
          await this.arrive(undefined);
          return false;
        },
      )
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
    return p;
  }

  private arrive(lease: SessionLease | undefined): Promise<void> | void {
    this.pending--;
    if (lease && this.closed) return lease.release();
    const waiter = this.waiters.shift();
    if (waiter) waiter(lease);
    else if (lease) this.ready.push(lease);
  }

  /** A logged-in session; ownership passes to the caller. */
  async lease(): Promise<SessionLease> {
    const ready = this.ready.shift();
    if (ready) return ready;
    if (this.pending > this.waiters.length) {
      const got = await new Promise<SessionLease | undefined>((resolve) => this.waiters.push(resolve));
      if (got) return got;
    }
    return this.client.acquire();
  }

  /**
   * Logs out whatever was not used; logins still in flight are logged out as they arrive, and
   * awaited, so a run (and a shutdown draining it) ends with no session of its own still open.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(undefined);
    await Promise.all(this.ready.splice(0).map((l) => l.release()));
    await Promise.allSettled([...this.inflight]);
  }
}
