import type { Phase } from '../../entities';
import { LogikalError, LogikalSidewaysRefusedError, replayKind } from '../logikal';
import type { Logger } from 'winston';
import type { HeldSession, LogikalClient, LogikalPath, LogikalPhase, LogikalSession, SessionLease } from '../logikal';
import type { Semaphore } from '../semaphore';
import { ElevationCrew, takeSeat } from './elevation-crew';
import type { PartsListUnits, PartsUnit } from './parts-list-units';
import type { PhaseListing } from './phase-listing';
import type { ThumbnailJobs } from './thumbnail-jobs';
import { isShutdown } from './sync-outcome';
import type { SyncMode } from './types';

/** A phase as LogiKal listed it, with its mirror row. */
export interface ListedPhase {
  ph: LogikalPhase;
  row: Phase;
}

/** The first session of a run, still logged in where its listing left it (in the first phase), in a seat of the run. */
export interface FirstSession {
  held: HeldSession;
  free: () => void;
}

export interface ReusingContext {
  client: LogikalClient;
  units: PartsListUnits;
  log: Logger;
  limiter: Semaphore;
  sessions: { acquire: () => Promise<SessionLease> };
  mode: SyncMode;
  concurrency: number;
  /** Elevations and phases the run expects (the mirror's counts; the first phase's on a first sync). */
  expected: () => { elevations: number; phases: number };
  stopped: () => boolean;
  projectPath: () => LogikalPath;
  phasePath: (ph: LogikalPhase) => LogikalPath;
  /** Lists a phase where the session stands; `onElevations` as in listPhase (phase-listing.ts). */
  listPhase: (
    s: LogikalSession,
    ph: LogikalPhase,
    onElevations?: (count: number, thumbnails: ThumbnailJobs) => void,
  ) => Promise<PhaseListing>;
  /** Units the mirror's plan expects of a phase (undefined: none known). */
  planned: (phaseId: string) => number | undefined;
  /** Writes a complete listing; the parts-list units it calls for. */
  storePhase: (row: Phase, listing: PhaseListing) => Promise<PartsUnit[]>;
  failPhase: (ph: LogikalPhase, err: unknown) => void;
}

/**
 * The phases of a run while LogiKal lets sessions select sibling elevations (or it is not known
 * yet): every session that lists a phase stays on to download that phase's parts lists (see
 * ElevationCrew), so listing costs no login of its own. A force sync lists the other phases in
 * parallel and hires sessions for the rest of the run's concurrency, both as early as the first
 * session learns the project and its phases (the hired ones walk to the project meanwhile); a smart
 * sync, whose phases may need no download at all, lists them one after another on the first
 * session by sibling phase selects while LogiKal allows those, and hires sessions only for the
 * units that changed.
 */
export class ReusingPhases {
  private readonly crew: ElevationCrew;
  /** Every session's work (listers, workers, hired), settled before the run is judged. */
  private readonly work: Array<Promise<void>> = [];
  /** The phases being listed on sessions of their own, by id: resolved once listed (or failed to be). */
  private readonly listings = new Map<string, Promise<void>>();
  private hired = false;
  private settleRows!: (rows: Map<string, Phase> | undefined) => void;
  /** The mirror rows of the listed phases, by id, once the first listing is stored (undefined: the run gave up). */
  private readonly rows = new Promise<Map<string, Phase> | undefined>((resolve) => (this.settleRows = resolve));

  constructor(private readonly c: ReusingContext) {
    this.crew = new ElevationCrew(c);
  }

  /** Shutdown: see ElevationCrew.stop. */
  stop(): void {
    this.crew.stop();
  }

  /**
   * Called by the first session as soon as it found the project (force, when the mirror knows how
   * many elevations to expect): the hired sessions start walking to it now, not after the listing.
   */
  projectFound(): void {
    if (this.c.mode !== 'force' || this.hired || !this.c.expected().elevations) return;
    this.hired = true;
    const { elevations, phases } = this.c.expected();
    const listers = Math.max(1, phases);
    this.crew.hire(Math.max(0, Math.min(this.c.concurrency - listers, elevations - listers)));
  }

  /**
   * Called by the first session once it listed the phases (force): every further phase is listed
   * at once, on a session of its own, and the crew learns the phases (with the sizes the mirror
   * expects), so that hired sessions choose theirs as early as every size is known.
   */
  phasesFound(phases: LogikalPhase[]): void {
    if (this.c.mode !== 'force') return;
    this.crew.plan(phases.map((ph) => ({ id: ph.id, expected: this.c.planned(ph.id) })));
    for (const ph of phases.slice(1)) this.listOwn(ph);
  }

  /**
   * Called by the first session as soon as it listed the first phase's elevations, before their
   * thumbnails (force): a project the mirror did not know hires its sessions now, for those
   * elevations (the other phases have listers of their own).
   */
  firstPhaseListed(ph: LogikalPhase, elevations: number, thumbnails: ThumbnailJobs): void {
    if (this.c.mode !== 'force') return;
    this.crew.expect(ph.id, elevations, thumbnails);
    if (this.hired) return;
    this.hired = true;
    const listers = 1 + this.listings.size;
    const expected = Math.max(this.c.expected().elevations, elevations);
    this.crew.hire(Math.max(0, Math.min(this.c.concurrency - listers, expected - listers)));
  }

  /** The run gave up before {@link run} (or its first unit turned out strict): every session started early is released. */
  async abandon(): Promise<void> {
    this.settleRows(undefined);
    this.crew.stop();
    await Promise.allSettled([...this.work, this.crew.finished()]);
  }

  async run(first: FirstSession, phases: ListedPhase[], firstListing: PhaseListing | undefined): Promise<void> {
    const { crew } = this;
    this.settleRows(new Map(phases.map((p) => [p.ph.id.toLowerCase(), p.row])));
    let held: HeldSession | undefined = first.held;
    let free: (() => void) | undefined = first.free;
    let failure: { err: unknown } | undefined;
    try {
      if (phases.length && firstListing) {
        crew.enqueue(phases[0].row.logikalId, await this.c.storePhase(phases[0].row, firstListing));
        let at = phases[0];
        let rest = phases.slice(1).filter((p) => !this.listings.has(p.ph.id.toLowerCase()));
        if (this.c.mode === 'smart' && rest.length && this.c.client.capabilities.state('sibling_phase_select') !== 'refused') {
          ({ held, at, rest } = await this.listSideways(held, at, firstListing, rest));
        }
        const seat = free;
        this.work.push(crew.adopt(held, at.row.logikalId).finally(seat));
        held = undefined;
        free = undefined;
        for (const p of rest) this.listOwn(p.ph);
        if (this.c.mode === 'force' && !this.hired) {
          this.hired = true;
          const listers = 1 + this.listings.size;
          const expected = Math.max(this.c.expected().elevations, firstListing.elevations.length);
          crew.hire(Math.max(0, Math.min(this.c.concurrency - listers, expected - listers)));
        }
        await Promise.all(this.listings.values());
      }
    } catch (err) {
      failure = { err };
    }
    if (failure) crew.stop();
    else crew.listingsDone(this.c.concurrency);
    await held?.release();
    free?.();
    // Settle everything before judging: a run must not be finished while its sessions still write.
    const settled = await Promise.allSettled([...this.work, crew.finished()]);
    if (failure) throw failure.err;
    const broken = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (broken) throw broken.reason;
  }

  /**
   * The first session lists the other phases by sibling phase selects; it stops at the first the
   * server refuses (those left are listed on sessions of their own). Returns where it stands.
   */
  private async listSideways(
    held: HeldSession | undefined,
    at: ListedPhase,
    listing: PhaseListing,
    rest: ListedPhase[],
  ): Promise<{ held: HeldSession | undefined; at: ListedPhase; rest: ListedPhase[] }> {
    let previous = new Set(listing.elevations.map((e) => e.id.toLowerCase()));
    for (let i = 0; i < rest.length; i++) {
      const p = rest[i];
      if (!held || this.c.stopped()) return { held, at, rest: rest.slice(i) };
      let next: PhaseListing;
      try {
        next = (await held.run(this.c.phasePath(p.ph), (s) => this.c.listPhase(s, p.ph))).value;
      } catch (err) {
        if (this.c.stopped() || isShutdown(err)) return { held, at, rest: [] };
        if (fallsBack(err) || !held.usable) {
          if (!held.usable) await held.release();
          return { held: held.usable ? held : undefined, at, rest: rest.slice(i) };
        }
        // The phase's own failure, as a fresh session would have had it; the session stands in it now.
        this.c.failPhase(p.ph, err);
        at = p;
        continue;
      }
      if (next.elevations.some((e) => previous.has(e.id.toLowerCase()))) {
        // The previous phase's elevations again: the sibling select did not take.
        await this.c.client.capabilities.learn(
          'sibling_phase_select',
          false,
          'a sibling phase select was answered 200, but the elevations listed after it were the previous phase’s',
        );
        await held.release();
        return { held: undefined, at, rest: rest.slice(i) };
      }
      this.crew.enqueue(p.row.logikalId, await this.c.storePhase(p.row, next));
      previous = new Set(next.elevations.map((e) => e.id.toLowerCase()));
      at = p;
    }
    return { held, at, rest: [] };
  }

  /**
   * A phase listed on a session of its own, which then works that phase; started at most once per
   * phase. A lister that has to wait for a seat tells the crew, whose hired sessions would otherwise
   * hold every seat waiting for this very listing.
   */
  private listOwn(ph: LogikalPhase): void {
    const key = ph.id.toLowerCase();
    if (this.listings.has(key)) return;
    let listed!: () => void;
    this.listings.set(key, new Promise<void>((resolve) => (listed = resolve)));
    this.work.push(
      (async () => {
        if (!this.c.limiter.free) this.crew.starving();
        const free = await takeSeat(this.c.limiter);
        let held: HeldSession | undefined;
        try {
          if (this.c.stopped()) return;
          let listing: PhaseListing;
          try {
            const onElevations = (n: number, thumbnails: ThumbnailJobs): void => this.crew.expect(ph.id, n, thumbnails);
            const r = await this.c.client.hold(this.c.phasePath(ph), (s) => this.c.listPhase(s, ph, onElevations), this.c.sessions);
            held = r.held;
            listing = r.value;
          } catch (err) {
            this.crew.listingFailed(ph.id);
            if (!this.c.stopped() && !isShutdown(err)) this.c.failPhase(ph, err);
            return;
          }
          const row = (await this.rows)?.get(key);
          if (!row || this.c.stopped()) return;
          this.crew.enqueue(row.logikalId, await this.c.storePhase(row, listing));
          listed();
          const h = held;
          held = undefined;
          await this.crew.adopt(h, row.logikalId);
        } finally {
          listed();
          await held?.release();
          free();
        }
      })(),
    );
  }
}

/** A failure on a kept session that a fresh one may get past (see ElevationCrew). */
function fallsBack(err: unknown): boolean {
  return err instanceof LogikalSidewaysRefusedError || (err instanceof LogikalError && err.local) || replayKind(err) !== undefined;
}
