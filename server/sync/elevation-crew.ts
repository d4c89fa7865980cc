import type { Logger } from 'winston';
import { LogikalError, LogikalSidewaysRefusedError, replayKind } from '../logikal';
import type { HeldResult, HeldSession, LogikalClient, LogikalPath, PartsListDownload, SessionLease } from '../logikal';
import type { Semaphore } from '../semaphore';
import type { PartsListUnits, PartsUnit } from './parts-list-units';
import { isShutdown } from './sync-outcome';
import { PhaseQueue } from './phase-queue';
import type { ThumbnailJobs } from './thumbnail-jobs';

export interface CrewOptions {
  client: LogikalClient;
  units: PartsListUnits;
  /** The run's seats: every session the crew holds sits in one, released with it. */
  limiter: Semaphore;
  /** Where the run's sessions come from (its stash first). */
  sessions: { acquire: () => Promise<SessionLease> };
  /** The project's path (directory + project): hired sessions walk there while the phases are listed. */
  projectPath: () => LogikalPath;
  stopped: () => boolean;
  log: Logger;
}

/** Where a session stands after a unit: still held (or not), the file it downloaded last, and that unit's write, still going. */
interface Step {
  held?: HeldSession;
  sha256?: string;
  written?: Promise<void>;
}

/** Takes a seat of the run's limiter and hands back its release (the Semaphore only runs tasks). */
export function takeSeat(limiter: Semaphore): Promise<() => void> {
  return new Promise((granted) => {
    void limiter.run(() => new Promise<void>((done) => granted(done)));
  });
}

/**
 * The sessions that download a project's parts lists when LogiKal lets a session select a sibling
 * elevation (or while that is still unknown): each works one phase's units one after another, the
 * first by a select down from the phase, the others sideways. A phase is worked by the session
 * that listed it and by hired ones, which log in (ahead of need, from the run's stash), walk to the
 * project, and join the phase that needs them most as soon as the size of every phase is known
 * (or expected); one that joins a phase still being listed walks into it, fetches some of its
 * thumbnails meanwhile, and waits there for its units.
 *
 * Whatever goes wrong on a kept session, the unit is done again on a fresh one (the client's
 * replays apply there), and it is counted once (PartsListUnits). Once LogiKal is known to refuse
 * sibling selects, every further unit is the strict LogiKal's unit: a fresh session, logged out
 * after it.
 */
export class ElevationCrew {
  private readonly queues = new Map<string, PhaseQueue>();
  private readonly work: Array<Promise<void>> = [];
  private hiredWaiting = 0;
  private wake!: () => void;
  /**
   * Hired sessions choose their phase once the size of every phase of the run is known or
   * expected, once every phase is listed, or when a lister waits for a seat they hold.
   */
  private readonly woken = new Promise<void>((resolve) => (this.wake = resolve));
  /** The run told the crew its phases (a force sync): hired sessions may choose before the listings are stored. */
  private planned = false;
  private closed = false;
  /** One session of the crew probes first (see probeFirst); the others wait for its answer as usual. */
  private probed = false;

  constructor(private readonly o: CrewOptions) {}

  /**
   * The phases of the run, each listed by a session that works on it afterwards, and how many units
   * the mirror's plan expects of each (undefined: not known before its listing).
   */
  plan(phases: Array<{ id: string; expected: number | undefined }>): void {
    for (const { id, expected } of phases) {
      const q = this.queue(id);
      q.listers = 1;
      if (expected !== undefined && !q.sized) q.expect(expected);
    }
    this.planned = true;
    this.wakeIfSized();
  }

  /** A phase's elevations are listed (its units and thumbnails still to come): how many, and the thumbnails other sessions may fetch. */
  expect(phaseId: string, count: number, thumbnails: ThumbnailJobs): void {
    this.queue(phaseId).expect(count, thumbnails);
    this.wakeIfSized();
  }

  /** A phase's units, once its listing is stored. */
  enqueue(phaseId: string, units: PartsUnit[]): void {
    this.queue(phaseId).fill(units);
  }

  /** A phase that could not be listed: sessions waiting in it for its units leave. */
  listingFailed(phaseId: string): void {
    const q = this.queue(phaseId);
    q.listers = Math.max(0, q.listers - 1);
    q.close();
  }

  /**
   * The session that listed `phaseId` (standing in it) works that phase's units until none is left,
   * then logs out. Resolves when it is done; never rejects.
   */
  async adopt(held: HeldSession | undefined, phaseId: string): Promise<void> {
    const q = this.queue(phaseId);
    q.listers = Math.max(0, q.listers - 1);
    await this.staff(held, q);
  }

  /** Starts `n` hired sessions now (force: they walk to the project while the phases are listed). */
  hire(n: number): void {
    for (let i = 0; i < n && !this.closed; i++) {
      this.hiredWaiting++;
      this.work.push(this.hired());
    }
  }

  /** Every phase is listed (or failed to be): hired sessions choose their phase; more are hired if units wait unworked. */
  listingsDone(seats: number): void {
    for (const q of this.queues.values()) q.close();
    this.wake();
    const uncovered = [...this.queues.values()].reduce((n, q) => n + Math.max(0, q.units.length - q.workers), 0) - this.hiredWaiting;
    const free = seats - this.hiredWaiting - [...this.queues.values()].reduce((n, q) => n + q.workers, 0);
    this.hire(Math.min(free, uncovered));
  }

  /** Resolves once every session of the crew is done (and logged out). */
  async finished(): Promise<void> {
    for (let n = 0; n < this.work.length; n = this.work.length) await Promise.allSettled(this.work.slice(n));
  }

  /** Shutdown: hired sessions still waiting give up; working ones stop before their next unit. */
  stop(): void {
    this.closed = true;
    for (const q of this.queues.values()) q.close();
    this.wake();
  }

  /**
   * A phase's lister waits for a seat: hired sessions choose among the phases listed so far now
   * (or leave, giving their seat up), instead of holding every seat waiting for that listing.
   */
  starving(): void {
    this.wake();
  }

  private queue(phaseId: string): PhaseQueue {
    const key = phaseId.toLowerCase();
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = new PhaseQueue(phaseId)));
    return q;
  }

  private wakeIfSized(): void {
    if (this.planned && [...this.queues.values()].every((q) => q.sized)) this.wake();
  }

  /** A hired session: a seat, a login, the walk to the project, then the phase that needs it most. */
  private async hired(): Promise<void> {
    const free = await takeSeat(this.o.limiter);
    let held: HeldSession | undefined;
    let waiting = true;
    try {
      if (this.closed || this.o.stopped()) return;
      try {
        held = this.o.client.adopt(await this.o.sessions.acquire());
        await held.run(this.o.projectPath(), () => Promise.resolve());
      } catch (err) {
        // No session now: the units it takes get fresh ones.
        if (!isShutdown(err)) this.o.log.debug('hired LogiKal session not ready', { error: (err as Error).message });
        await held?.release();
        held = undefined;
      }
      await this.woken;
      waiting = false;
      this.hiredWaiting--;
      const q = this.pick();
      if (!q || this.closed || this.o.stopped()) return;
      const h = held;
      held = undefined;
      await this.staff(h, q);
    } finally {
      if (waiting) this.hiredWaiting--;
      await held?.release();
      free();
    }
  }

  /** The phase with the most units to do per session committed to it, among those with more units (or expected units) than sessions. */
  private pick(): PhaseQueue | undefined {
    let best: PhaseQueue | undefined;
    for (const q of this.queues.values()) {
      if (q.outstanding <= q.committed) continue;
      if (!best || q.outstanding / (q.committed + 1) > best.outstanding / (best.committed + 1)) best = q;
    }
    return best;
  }

  /**
   * A session committed to a phase still being listed walks into the phase, fetches some of its
   * thumbnails while they are fetched, and waits there for its units. Hands back the session (none
   * when it was lost).
   */
  private async standBy(held: HeldSession | undefined, q: PhaseQueue): Promise<HeldSession | undefined> {
    let inPhase = false;
    try {
      await held?.run({ ...this.o.projectPath(), phaseId: q.phaseId }, () => Promise.resolve());
      inPhase = held !== undefined;
    } catch (err) {
      if (!isShutdown(err)) this.o.log.debug('LogiKal session could not enter its phase', { error: (err as Error).message });
    }
    while (!q.listed && !this.closed && !this.o.stopped()) {
      if (inPhase && held?.usable && q.thumbnails?.open) {
        await q.thumbnails.help(held.session).catch((err: unknown) => {
          if (!isShutdown(err)) this.o.log.debug('LogiKal session lost while fetching thumbnails', { error: (err as Error).message });
        });
      } else await q.changed;
      if (held && !held.usable) {
        await held.release();
        held = undefined;
      }
    }
    return held;
  }

  /**
   * One session working a phase's queue; logs it out at the end. Each unit's database write goes on
   * while the session selects and downloads the next one; the next store waits for it (one write
   * behind per session), and the session is done once its last write is.
   */
  private async staff(held: HeldSession | undefined, q: PhaseQueue): Promise<void> {
    q.workers++;
    let previousSha256: string | undefined;
    let behind: Promise<void> = Promise.resolve();
    try {
      if (!q.listed) held = await this.standBy(held, q);
      if (!this.probed && held && q.units.length >= 2 && this.o.client.capabilities.state('sibling_elevation_select') === 'unknown') {
        this.probed = true;
        const r = await this.probeFirst(held, q);
        ({ held, sha256: previousSha256 } = r);
        behind = r.written ?? behind;
      }
      for (let unit = q.units.shift(); unit && !this.o.stopped(); unit = q.units.shift()) {
        const prior = behind;
        const r = await this.one(unit, held, previousSha256, () => prior);
        ({ held, sha256: previousSha256 } = r);
        behind = r.written ?? prior;
      }
    } finally {
      q.workers--;
      await held?.release();
      await behind;
    }
  }

  /**
   * One unit on the kept session if it can, else on a fresh one; returns the session to go on with
   * and the unit's write, still going. `prior` is the session's previous write: awaited before this
   * unit's store begins.
   */
  private async one(
    unit: PartsUnit,
    held: HeldSession | undefined,
    previousSha256: string | undefined,
    prior: () => Promise<void>,
  ): Promise<Step> {
    const { units } = this.o;
    if (held && !held.usable) {
      await held.release();
      held = undefined;
    }
    if (held) {
      try {
        const r = await held.run(units.path(unit), (s) => s.downloadPartsList());
        await prior();
        const started = await units.begin(unit, r.value, r.sideways ? { previousSha256 } : undefined);
        if (started.verdict === 'done') return { held, sha256: r.value.sha256, written: started.written };
        return await this.recheck(unit, held, r.value.sha256, prior);
      } catch (err) {
        if (this.o.stopped() || isShutdown(err)) return { held };
        if (!fallsBack(err)) {
          // The elevation's own failure (as a fresh session would have had it); the session goes on.
          await units.failedDownload(unit, err);
          return { held, sha256: previousSha256 };
        }
        await held.release();
      }
    }
    return this.fresh(unit, prior);
  }

  /**
   * The first sideways select of a server not known yet is the probe, and every other session's
   * next sideways select waits for its answer. So the session that listed a phase probes at once:
   * it selects its first unit's elevation, then, sideways, the second's, whose file it downloads
   * first; the first unit goes back to the queue. Refused (a 409 leaves the session where it was),
   * the session downloads the first unit's file where it stands and the second unit goes to a fresh
   * session, as it would have anyway.
   */
  private async probeFirst(held: HeldSession, q: PhaseQueue): Promise<Step> {
    const { units } = this.o;
    const [a, b] = [q.units.shift()!, q.units.shift()!];
    try {
      await held.run(units.path(a), () => Promise.resolve());
    } catch {
      // The select down failed: both units as usual (on this session if it still knows where it is).
      q.units.unshift(a, b);
      if (held.usable) return { held };
      await held.release();
      return {};
    }
    let r: HeldResult<PartsListDownload>;
    try {
      r = await held.run(units.path(b), (s) => s.downloadPartsList());
    } catch (err) {
      if (this.o.stopped() || isShutdown(err)) {
        q.units.unshift(a, b);
        return { held };
      }
      if (fallsBack(err) || !held.usable) {
        q.units.unshift(a, b);
        if (err instanceof LogikalSidewaysRefusedError && held.usable) return { held };
        await held.release();
        return {};
      }
      // The second elevation's own failure; the session stands in it.
      q.units.unshift(a);
      await units.failedDownload(b, err);
      return { held };
    }
    q.units.unshift(a);
    const started = await units.begin(b, r.value, r.sideways ? {} : undefined);
    if (started.verdict === 'done') return { held, sha256: r.value.sha256, written: started.written };
    return this.recheck(b, held, r.value.sha256, () => Promise.resolve());
  }

  /**
   * A sideways download that may not be this elevation's file (the select may not have taken): the
   * kept session goes, a fresh one tells. A different file there means LogiKal does not let a
   * session select a sibling elevation after all.
   */
  private async recheck(unit: PartsUnit, held: HeldSession, suspectSha256: string, prior: () => Promise<void>): Promise<Step> {
    await held.release();
    const again = await this.fresh(unit, prior);
    if (again.sha256 !== undefined && again.sha256 !== suspectSha256) {
      await this.o.client.capabilities.learn(
        'sibling_elevation_select',
        false,
        `a sibling elevation select was answered 200, but the parts list after it was not ${unit.e.name}'s`,
      );
    }
    return again;
  }

  /** The unit on a fresh session: kept afterwards while sibling selects may work, else logged out (the strict way). */
  private async fresh(unit: PartsUnit, prior: () => Promise<void>): Promise<Step> {
    const { units, client } = this.o;
    if (this.o.stopped()) return {};
    if (client.capabilities.state('sibling_elevation_select') === 'refused') {
      await units.fresh(unit);
      return {};
    }
    try {
      const r = await client.hold(units.path(unit), (s) => s.downloadPartsList(), this.o.sessions);
      await prior();
      const started = await units.begin(unit, r.value);
      return { held: r.held, sha256: r.value.sha256, written: started.written };
    } catch (err) {
      await units.failedDownload(unit, err);
      return {};
    }
  }
}

/**
 * Whether a failure on a kept session calls for the unit on a fresh one: LogiKal refused the
 * sideways select, the session or its position is lost, a fault a fresh session may get past, or a
 * local refusal. Anything else (a 404, a broken download) is the elevation's own failure.
 */
function fallsBack(err: unknown): boolean {
  return err instanceof LogikalSidewaysRefusedError || (err instanceof LogikalError && err.local) || replayKind(err) !== undefined;
}
