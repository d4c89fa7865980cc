import type { LogikalElevation, LogikalPhase, LogikalProject, LogikalSession } from '../logikal';
import { LogikalSessionLostError } from '../logikal';
import { NotFoundError, UserError } from '../errors';
import { isGuid } from '../guid';
import { isShutdown, worthAnotherPass } from './sync-outcome';

/** The project a run is for, among a directory's: by GUID, or by name (names are unique only there, and not always). */
export function pickProject(projects: LogikalProject[], ref: string, directory: string): LogikalProject {
  const byGuid = isGuid(ref);
  const matches = projects.filter((p) => (byGuid ? p.id.toLowerCase() === ref.toLowerCase() : p.name === ref));
  if (matches.length === 0) throw new NotFoundError(`Project "${ref}" not found in Logikal directory "${directory}"`);
  if (matches.length > 1)
    throw new UserError(`${matches.length} projects are named "${ref}" in "${directory}"; pass the project GUID instead`);
  return matches[0];
}

/** A phase's elevations as LogiKal listed them, with the thumbnails the run fetched (or why not). */
export interface PhaseListing {
  phase: LogikalPhase;
  elevations: LogikalElevation[];
  thumbnails: Map<string, Buffer>;
  thumbnailErrors: Map<string, unknown>;
}

/**
 * In phase state (selected here when `selectFirst`): the elevation list and the thumbnails the run
 * wants (no elevation select needed). A thumbnail that fails is noted, the others go on; a lost
 * session would fail every further one, so it fails the listing (replayed on a fresh session).
 */
export async function listPhase(
  s: LogikalSession,
  ph: LogikalPhase,
  opts: {
    selectFirst: boolean;
    wantsThumbnail: (e: LogikalElevation) => boolean;
    stopped: () => boolean;
    /** Told how many elevations the phase has as soon as they are listed, before the thumbnails. */
    onElevations?: (n: number) => void;
  },
): Promise<PhaseListing> {
  if (opts.selectFirst) await s.selectPhase(ph.id);
  const elevations = await s.listElevations();
  opts.onElevations?.(elevations.length);
  const thumbnails = new Map<string, Buffer>();
  const thumbnailErrors = new Map<string, unknown>();
  for (const e of elevations) {
    if (opts.stopped()) break;
    if (!opts.wantsThumbnail(e)) continue;
    try {
      thumbnails.set(e.id, await s.getThumbnail(e.id));
    } catch (err) {
      if (err instanceof LogikalSessionLostError || isShutdown(err)) throw err;
      thumbnailErrors.set(e.id, err);
    }
  }
  return { phase: ph, elevations, thumbnails, thumbnailErrors };
}

/** Further tries of a listing that failed transiently (each may itself replay its unit on fresh sessions). */
const LISTING_ROUNDS = 2;

/** Runs `list` again while it fails transiently, a few rounds, unless the run is stopping. */
export async function againWhileTransient<T>(list: () => Promise<T>, stopped: () => boolean): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await list();
    } catch (err) {
      if (round >= LISTING_ROUNDS || stopped() || !worthAnotherPass(err)) throw err;
    }
  }
}
