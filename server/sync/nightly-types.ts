import type { SyncRunState } from '../../entities';
import type { SyncResult } from './types';

/** What made a nightly happen: the schedule, a firing missed while every instance was down, or sync.run_nightly. */
export type FiringSource = 'cron' | 'catch-up' | 'manual';

/** What one firing of the schedule did, in whichever instance claimed it. */
export interface FiringOutcome {
  /** The scheduled time this firing stands for (ISO). */
  fire_at: string;
  /** started: this call created the nightly; skipped: the previous nightly still ran; taken: another instance (or call) claimed this firing. */
  outcome: 'started' | 'skipped' | 'taken';
  /** The nightly run this firing started (or, skipped, the one still running). */
  run_id: number | null;
}

/** One project's smart sync inside a nightly (a child run; a retry is a new child run). */
export interface NightlyChild {
  run_id: number;
  project_id: string;
  directory_id: string;
  state: SyncRunState;
  attempt: number;
}

/** sync.run_nightly's and sync.schedule's view of a nightly run: a SyncResult plus its children. */
export interface NightlyResult extends SyncResult {
  fire_at: string | null;
  projects_total: number;
  projects_synced: number;
  projects_failed: number;
  children: NightlyChild[];
}
