import type { LogikalElevation } from '../logikal';
import type { KnownElevation } from './mirror-writer';
import type { SyncMode } from './types';

/** LogiKal's change key of an elevation (versionId|changedDate): what the stored parts list was downloaded at. */
export function changeKey(e: LogikalElevation): string {
  return `${e.versionId ?? ''}|${e.changedDate ?? ''}`.slice(0, 64);
}

/**
 * What a run has to fetch for each listed elevation, from what the mirror held before it started:
 * a smart sync only what changed; a resumed run not what the interrupted run already stored.
 */
export class ElevationPlan {
  private readonly known: Map<string, KnownElevation>;
  private readonly since: number | undefined;

  constructor(
    known: KnownElevation[],
    private readonly mode: SyncMode,
    resumeSince: Date | null | undefined,
  ) {
    this.known = new Map(known.map((k) => [`${k.phaseLogikalId}/${k.logikalId}`, k]));
    this.since = resumeSince?.getTime();
  }

  get size(): number {
    return this.known.size;
  }

  /** Elevations the mirror holds of a phase. */
  phaseSize(phaseId: string): number {
    const key = phaseId.toLowerCase();
    let n = 0;
    for (const k of this.known.values()) if (k.phaseLogikalId === key) n++;
    return n;
  }

  /** Phases the mirror holds elevations of. */
  get phaseCount(): number {
    return new Set([...this.known.values()].map((k) => k.phaseLogikalId)).size;
  }

  stored(phaseId: string, e: LogikalElevation): KnownElevation | undefined {
    return this.known.get(`${phaseId.toLowerCase()}/${e.id.toLowerCase()}`);
  }

  /** The thumbnail is fetched: always in force mode (unless resumed), in smart mode when the elevation changed. */
  wantsThumbnail(phaseId: string, e: LogikalElevation): boolean {
    if (this.mode === 'smart' && !this.metadataChanged(phaseId, e)) return false;
    const k = this.stored(phaseId, e);
    const resumed = this.since !== undefined && !!k?.thumbnailSha256 && (k.lastSyncedAt ?? 0) >= this.since;
    return !(resumed && !this.metadataChanged(phaseId, e));
  }

  /** The parts list is downloaded: always in force mode, in smart mode when it changed. */
  wantsPartsList(phaseId: string, e: LogikalElevation): boolean {
    if (this.mode === 'force') return true;
    const k = this.stored(phaseId, e);
    return !k?.partsListSha256 || k.parseStatus !== 'success' || k.partsListSourceKey !== changeKey(e);
  }

  /** Stored by the interrupted run this one resumes (and unchanged in LogiKal since). */
  doneByResumedRun(phaseId: string, e: LogikalElevation): boolean {
    const k = this.stored(phaseId, e);
    return (
      this.since !== undefined &&
      !!k &&
      k.parseStatus === 'success' &&
      (k.partsListSyncedAt ?? 0) >= this.since &&
      k.partsListSourceKey === changeKey(e)
    );
  }

  private metadataChanged(phaseId: string, e: LogikalElevation): boolean {
    const k = this.stored(phaseId, e);
    return !k?.thumbnailSha256 || k.versionId !== (e.versionId?.toLowerCase() ?? null) || k.changedAt !== (e.changedDate ?? null);
  }
}
