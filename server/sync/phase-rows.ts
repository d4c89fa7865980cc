import type { Phase, Project, SyncFailure } from '../../entities';
import type { MirrorLookups } from '../db/mirror-lookups';
import { LogikalProtocolError, type LogikalClient, type SessionLease } from '../logikal';
import type { ElevationPlan } from './elevation-plan';
import type { MirrorWriter } from './mirror-writer';
import type { PartsUnit } from './parts-list-units';
import type { PhaseListing } from './phase-listing';
import type { Counters } from './run-store';

export interface PhaseRowsContext {
  client: LogikalClient;
  writer: MirrorWriter;
  lookups: MirrorLookups;
  sessions: { acquire: () => Promise<SessionLease> };
  directory: string;
  /** This run's own earlier execution (its instance died): what it stored counts as synced by the run. */
  takenOver: boolean;
  counters: Counters;
  plan: () => ElevationPlan;
  project: () => Project;
  fail: (what: string, err: unknown) => SyncFailure;
  flush: () => Promise<void>;
}

/**
 * The mirror rows of what a run listed: a phase's elevations (with their thumbnails), and the
 * parts-list units they call for. An empty listing retires nothing until a fresh one agrees.
 */
export class PhaseRows {
  /** Parts lists a resumed run found already done by the run it resumes. */
  resumedSkipped = 0;

  constructor(private readonly c: PhaseRowsContext) {}

  /** Writes a listed phase's elevations (and retires those gone); returns the parts-list units the run must fetch. */
  async store(phase: Phase, listing: PhaseListing): Promise<PartsUnit[]> {
    const { counters } = this.c;
    const plan = this.c.plan();
    const units: PartsUnit[] = [];
    const keep: number[] = [];
    const complete = listing.elevations.length > 0 || (await this.confirmNoElevations(phase).catch(() => false));
    if (!complete) return units;
    counters.elevationsTotal += listing.elevations.length;
    const listed = listing.elevations.map((e) => {
      const thumbError = listing.thumbnailErrors.get(e.id);
      if (thumbError !== undefined) this.c.fail(`${e.name} (thumbnail)`, thumbError);
      return { e, thumbnail: listing.thumbnails.get(e.id) ?? null, thumbnailFailed: thumbError !== undefined };
    });
    const rows = await this.c.writer.elevations(phase, listed);
    for (const [i, { e, thumbnail }] of listed.entries()) {
      const row = rows[i];
      keep.push(row.id);
      counters.elevationsSynced++;
      if (thumbnail) counters.thumbnailsSynced++;
      const wantParts = plan.wantsPartsList(listing.phase.id, e);
      if (wantParts && plan.doneByResumedRun(listing.phase.id, e)) {
        this.resumedSkipped++;
        counters[this.c.takenOver ? 'partsListsSynced' : 'partsListsUnchanged']++;
      } else if (wantParts) units.push({ phase, row, e });
      // Counted so that synced + unchanged + failed = elevations listed, in both modes.
      else counters.partsListsUnchanged++;
    }
    // The listing was complete: whatever the phase no longer has is marked gone, not dropped.
    await this.c.writer.retireElevations(phase.id, keep);
    await this.c.flush();
    return units;
  }

  /** No phase listed (every project has its default phase): a fresh listing must agree before any is retired. */
  async confirmNoPhases(projectName: string): Promise<void> {
    const project = this.c.project();
    if (!(await this.c.lookups.activeChildren({ phasesOf: project.id }))) return;
    const again = await this.c.client.withPath(
      { directory: this.c.directory, projectId: project.logikalId },
      (s) => s.listPhases(),
      this.c.sessions,
    );
    if (again.length) {
      throw new LogikalProtocolError(`Logikal listed no phases for "${projectName}", then ${again.length}: nothing was retired`);
    }
  }

  /** The same for a phase whose elevations all vanished: true when a fresh listing confirms it. */
  private async confirmNoElevations(phase: Phase): Promise<boolean> {
    if (!(await this.c.lookups.activeChildren({ elevationsOf: phase.id }))) return true;
    const again = await this.c.client.withPath(
      { directory: this.c.directory, projectId: this.c.project().logikalId, phaseId: phase.logikalId },
      (s) => s.listElevations(),
      this.c.sessions,
    );
    if (!again.length) return true;
    this.c.fail(
      `phase "${phase.name}"`,
      new LogikalProtocolError(`Logikal listed no elevations, then ${again.length}: nothing was retired`),
    );
    return false;
  }
}
