import type { PartsUnit } from './parts-list-units';
import type { ThumbnailJobs } from './thumbnail-jobs';

/**
 * One phase of a run as the ElevationCrew sees it: its parts-list units nobody has taken yet (once
 * its listing is stored), how many sessions are committed to it, and, while it is being listed,
 * how many units to expect and the thumbnails still to fetch.
 */
export class PhaseQueue {
  readonly units: PartsUnit[] = [];
  /** Sessions working on it, or standing by in it for its units. */
  workers = 0;
  /** Sessions listing it, which work on it afterwards. */
  listers = 0;
  /** Units to expect before its listing is stored: from the listing's first call, or the mirror's plan. */
  expected: number | undefined;
  thumbnails: ThumbnailJobs | undefined;
  /** Its units are all in (or its listing failed): nothing more will come. */
  listed = false;
  /** Settles at the next change (expectation, thumbnails, units). */
  changed: Promise<void>;
  private notify!: () => void;

  constructor(readonly phaseId: string) {
    this.changed = this.nextChange();
  }

  /** Units still to do: those queued and one in the hands of each session working on it, or those expected while it is listed. */
  get outstanding(): number {
    return this.listed ? this.units.length + this.workers : (this.expected ?? 0);
  }

  get committed(): number {
    return this.workers + this.listers;
  }

  /** Whether the crew knows how many units the phase has (or expects). */
  get sized(): boolean {
    return this.listed || this.expected !== undefined;
  }

  expect(count: number, thumbnails?: ThumbnailJobs): void {
    this.expected = count;
    if (thumbnails) this.thumbnails = thumbnails;
    this.changedNow();
  }

  fill(units: PartsUnit[]): void {
    this.units.push(...units);
    this.listed = true;
    this.changedNow();
  }

  close(): void {
    this.listed = true;
    this.changedNow();
  }

  private changedNow(): void {
    this.notify();
    this.changed = this.nextChange();
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => (this.notify = resolve));
  }
}
