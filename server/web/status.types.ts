import type { ParseStatus, SyncRunState } from '../../entities';
import type { SyncResult } from '../sync/types';

/** The status page's JSON, as web/status-page.ts reads it (that file declares its own copy: it is built for the browser). */

export interface RunView extends SyncResult {
  target: string;
  /** The mirrored project's id, for a link to its view. */
  project_db_id: number | null;
  /** Its name in the mirror (the link text). */
  project_name: string | null;
  requested_by: string | null;
  /** A nightly run's project runs. */
  children: RunView[];
}

export interface ProjectRow {
  id: number;
  name: string;
  directory: string | null;
  active: boolean;
  elevations: number;
  failed_parses: number;
  last_synced_at: string | null;
}

export interface Overview {
  runs: RunView[];
  projects: ProjectRow[];
  logikal: {
    configured: boolean;
    sessions_open: number;
    sessions_max: number;
    effective_limit: number;
    waiting: number;
    refused_logins: number;
  };
  nightly: NightlyView;
  schema: {
    database: 'ok' | 'down';
    migrations: 'current' | 'pending' | 'unknown';
    /** The last constraint check (admin.check_constraints), or null while the first one runs. */
    constraints: { ok: boolean; problems: number; checked_at: string } | null;
  };
  version: string;
}

/** The schedule (SYNC_CRON=off: enabled false, cron null) and the latest nightly run's summary. */
export interface NightlyView {
  enabled: boolean;
  cron: string | null;
  timezone: string;
  /** Computed in `timezone`. */
  next: string | null;
  last: {
    run_id: number;
    state: SyncRunState;
    fire_at: string | null;
    started_at: string;
    finished_at: string | null;
    projects_total: number;
    projects_synced: number;
    projects_failed: number;
    message: string;
  } | null;
}

export interface ElevationView {
  id: number;
  name: string;
  active: boolean;
  thumbnail: boolean;
  parse_status: ParseStatus;
  /** Why the last sync could not store its parts list, or the stored parse error. */
  parse_error: string | null;
  system: string | null;
  description: string | null;
  width: number | null;
  height: number | null;
  size_unit: string | null;
  weight: number | null;
  weight_unit: string | null;
  parts_count: number | null;
  glass: string[];
}

export interface ProjectView {
  id: number;
  name: string;
  directory: string | null;
  active: boolean;
  last_synced_at: string | null;
  phases: Array<{ id: number; name: string; is_default: boolean; active: boolean; elevations: ElevationView[] }>;
  runs: RunView[];
}
