import type { SyncFailure, SyncRunKind, SyncRunState } from '../../entities';

/** What sync.force_project / sync.project answer: the predecessor's shape plus more. */
export interface SyncResult {
  success: boolean;
  state: SyncRunState;
  message: string;
  run_id: number;
  kind: SyncRunKind;
  project_id: string;
  directory_id: string;
  phases_synced: number;
  elevations_synced: number;
  elevations_total: number;
  parts_lists_synced: number;
  parts_lists_failed: number;
  parts_lists_unchanged: number;
  thumbnails_synced: number;
  duration_seconds: number;
  started_at: string;
  finished_at: string | null;
  failures: SyncFailure[];
  /** The nightly run this one is a child of. */
  parent_run_id: number | null;
  /** A nightly child's try (a retry is a new child with the next attempt). */
  attempt: number;
  /** The instance (BRIDGE_INSTANCE_ID) that runs it, or last ran it. */
  owner_instance: string | null;
  /** How often another instance took the run over after its owner died. */
  takeovers: number;
  /** Running, but every unit waits for a LogiKal licence (the shared cap is in use). */
  waiting_for_licence: boolean;
}

export interface ProjectSyncRequest {
  /** Project name (e.g. DOS22309) or GUID. */
  projectId: string;
  /** Directory path, e.g. "Demo Odoo" or "Demo Odoo/Sublevel 1 Testing". */
  directoryId: string;
  /** How long the caller waits for the final result; 0 = answer at once. */
  waitSeconds: number;
  /** Parallel Logikal sessions for this run (≤ LOGIKAL_MAX_SESSIONS). */
  concurrency?: number;
  requestedBy?: string;
}

export type SyncMode = 'force' | 'smart';

/** Progress callback, for the CLI's progress bar. */
export type ProgressListener = (p: { done: number; total: number; state: SyncRunState }) => void;
