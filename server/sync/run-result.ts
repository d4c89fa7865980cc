import type { SyncRun } from '../../entities';
import { awaitsTakeover, effectiveState, INTERRUPTED_MESSAGE, isDead } from './run-store';
import type { SyncResult } from './types';

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

/**
 * A run row as the RPC result shape, as `reader` (this instance's BRIDGE_INSTANCE_ID) sees it: a
 * run another instance's dead process left reads as still queued or running, since a live
 * instance takes it over; without a reader, every dead run reads as interrupted.
 */
export function toResult(run: SyncRun, reader?: string): SyncResult {
  const now = Date.now();
  const handedOver = awaitsTakeover(run, reader, now);
  const dead = isDead(run, now) && !handedOver;
  const state = effectiveState(run, now, reader);
  const end = run.finishedAt ?? (dead ? (run.leaseExpiresAt ?? run.heartbeatAt ?? run.startedAt) : new Date());
  return {
    success: state === 'succeeded',
    state,
    message: dead ? INTERRUPTED_MESSAGE : handedOver ? TAKEOVER_MESSAGE : (run.message ?? liveMessage(run)),
    run_id: run.id,
    kind: run.kind,
    project_id: run.projectRef ?? '',
    directory_id: run.directoryPath ?? '',
    phases_synced: run.phasesSynced,
    elevations_synced: run.elevationsSynced,
    elevations_total: run.elevationsTotal,
    parts_lists_synced: run.partsListsSynced,
    parts_lists_failed: run.partsListsFailed,
    parts_lists_unchanged: run.partsListsUnchanged,
    thumbnails_synced: run.thumbnailsSynced,
    duration_seconds: Math.round((end.getTime() - run.startedAt.getTime()) / 100) / 10,
    started_at: iso(run.startedAt)!,
    finished_at: iso(run.finishedAt),
    failures: run.failures ?? [],
    parent_run_id: run.parentRunId ?? null,
    attempt: run.attempt ?? 1,
    owner_instance: run.ownerInstance ?? null,
    takeovers: run.takeovers ?? 0,
    waiting_for_licence: state === 'running' && !!run.waitingSince,
  };
}

const TAKEOVER_MESSAGE = 'The instance running it stopped; another instance takes it over under this run id';

function liveMessage(run: SyncRun): string {
  if (run.state === 'queued') return 'Waiting for a free sync slot on any instance';
  if (run.state !== 'running') return '';
  if (run.waitingSince) return `Waiting for a LogiKal licence since ${run.waitingSince.toISOString()} (every licence is in use)`;
  return run.takeovers > 0 ? `Sync running (taken over by ${run.ownerInstance ?? 'another instance'})` : 'Sync running';
}
