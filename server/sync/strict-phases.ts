import type { Phase } from '../../entities';
import type { LogikalClient, LogikalPath, LogikalPhase, LogikalSession, SessionLease } from '../logikal';
import type { Semaphore } from '../semaphore';
import type { PartsListUnits, PartsUnit } from './parts-list-units';
import { againWhileTransient, type PhaseListing } from './phase-listing';
import type { ListedPhase } from './reusing-phases';

export interface StrictContext {
  client: LogikalClient;
  units: PartsListUnits;
  limiter: Semaphore;
  sessions: { acquire: () => Promise<SessionLease> };
  stopped: () => boolean;
  phasePath: (ph: LogikalPhase) => LogikalPath;
  listPhase: (s: LogikalSession, ph: LogikalPhase) => Promise<PhaseListing>;
  /** Writes a complete listing; the parts-list units it calls for. */
  storePhase: (row: Phase, listing: PhaseListing) => Promise<PartsUnit[]>;
  failPhase: (ph: LogikalPhase, err: unknown) => void;
}

/**
 * The phases of a run against a strict LogiKal (known to refuse sibling selects): every phase but
 * the first is listed on a session of its own — started as soon as the first session has listed
 * the phases ({@link listEarly}), not after it listed the first phase — and every parts list is
 * downloaded on a session of its own.
 */
export class StrictPhases {
  /** The listings of the phases after the first, by id: undefined when the listing failed (recorded) or the run stopped. */
  private readonly listings = new Map<string, Promise<PhaseListing | undefined>>();

  constructor(private readonly c: StrictContext) {}

  /** Lists every phase but the first, each on a session of its own, now (at most once per phase). */
  listEarly(phases: LogikalPhase[]): void {
    for (const ph of phases.slice(1)) void this.listing(ph);
  }

  /** Stores every listing and downloads the parts lists it calls for; settles everything before it returns or throws. */
  async run(phases: ListedPhase[], firstListing: PhaseListing | undefined): Promise<void> {
    const work: Array<Promise<void>> = [];
    const perPhase = phases.map(async ({ ph, row }, i) => {
      const listing = i === 0 ? firstListing : await this.listing(ph);
      if (listing) work.push(...(await this.c.storePhase(row, listing)).map((u) => this.c.limiter.run(() => this.c.units.fresh(u))));
    });
    // Settle everything before judging: a run must not be finished while its tasks still write.
    const listed = await Promise.allSettled(perPhase);
    const stored = await Promise.allSettled(work);
    const broken = [...listed, ...stored].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (broken) throw broken.reason;
  }

  /** Resolves once every listing started early is over (a run that gives up must not leave one writing). */
  async abandon(): Promise<void> {
    await Promise.allSettled([...this.listings.values()]);
  }

  private listing(ph: LogikalPhase): Promise<PhaseListing | undefined> {
    const key = ph.id.toLowerCase();
    let p = this.listings.get(key);
    if (!p) {
      p = againWhileTransient(
        () =>
          this.c.limiter.run(async () =>
            this.c.stopped() ? undefined : this.c.client.withPath(this.c.phasePath(ph), (s) => this.c.listPhase(s, ph), this.c.sessions),
          ),
        () => this.c.stopped(),
      ).catch((err: unknown) => {
        this.c.failPhase(ph, err);
        return undefined;
      });
      this.listings.set(key, p);
    }
    return p;
  }
}
