// The parallel limit of bench/nightly.bench.ts: the LogiKal time a nightly over the tracked
// directories cannot avoid, from the emulator's latency model, spread over every licence.
import type { EmulatorFixture, FixtureDirectory } from '../emulator/fixture';
import { DEFAULT_LATENCY, latencyMs, type LatencyKey } from '../emulator/latency';
import { generatePartsList } from '../emulator/parts-list-generator';
import { specFor } from '../emulator/parts-lists';

export interface NightlyFloor {
  /** Session-seconds a cold nightly (empty mirror) cannot avoid. */
  coldWork: number;
  /** Session-seconds a nightly over an unchanged mirror cannot avoid when it looks at every phase. */
  warmWork: number;
  /** The longest chain one session must walk in order (a floor even with unlimited licences). */
  criticalPath: number;
  elevations: number;
  phases: number;
  projects: number;
  /** Mean decoded parts-list size, MB. */
  meanPartsListMB: number;
}

/** The projects of the tracked directories themselves (not their sub-directories), as the nightly reads them. */
function trackedDirectories(fixture: EmulatorFixture, paths: string[]): FixtureDirectory[] {
  const all = new Map<string, FixtureDirectory>();
  const walk = (dirs: FixtureDirectory[] = []) => {
    for (const d of dirs) {
      all.set(d.path, d);
      walk(d.children);
    }
  };
  walk(fixture.directories);
  return paths.map((p) => {
    const d = all.get(p);
    if (!d) throw new Error(`tracked directory ${p} is not in the fixture`);
    return d;
  });
}

/** Decoded size of every tracked elevation's parts list: the emulator's own generator, so the same bytes it serves. */
export function partsListSizes(fixture: EmulatorFixture, paths: string[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const dir of trackedDirectories(fixture, paths)) {
    for (const project of dir.projects ?? []) {
      for (const phase of project.phases) {
        for (const elevation of phase.elevations) sizes.set(elevation.id, generatePartsList(specFor({ elevation, phase, project })).length);
      }
    }
  }
  return sizes;
}

/**
 * The cheapest walk on a strict LogiKal (a sibling select answers 409, nothing moves a session up),
 * where every parts list therefore needs a session of its own, walked down to its elevation:
 * - each elevation: login, one select per directory level, project, phase and elevation select,
 *   the parts-list download (base + per MB), logout;
 * - each phase: its elevation listing and one thumbnail per elevation, on the session that then
 *   goes on to one of its elevations (no login of its own);
 * - each project: its phase listing; each tracked directory: its project listing, likewise.
 * A warm nightly (nothing changed) still lists every phase: a session per phase (login, selects
 * down to the phase, elevation listing, logout), plus the phase and project listings.
 * Seconds at latency scale `scale`.
 */
export function nightlyFloor(fixture: EmulatorFixture, paths: string[], sizes: Map<string, number>, scale: number): NightlyFloor {
  const t = (key: LatencyKey, bytes = 0) => latencyMs(DEFAULT_LATENCY, scale, key, bytes) / 1000;
  const f: NightlyFloor = { coldWork: 0, warmWork: 0, criticalPath: 0, elevations: 0, phases: 0, projects: 0, meanPartsListMB: 0 };
  let bytes = 0;
  for (const dir of trackedDirectories(fixture, paths)) {
    const down = dir.path.split('/').length * t('directoriesSelect') + t('projectsSelect');
    f.coldWork += t('projects');
    f.warmWork += t('projects');
    for (const project of dir.projects ?? []) {
      if (project.isDeleted) continue;
      f.projects++;
      f.coldWork += t('phases');
      f.warmWork += t('phases');
      for (const phase of project.phases) {
        f.phases++;
        const n = phase.elevations.length;
        const listing = t('elevations') + n * t('thumbnail');
        f.coldWork += listing;
        f.warmWork += t('login') + down + t('phasesSelect') + t('elevations') + t('logout');
        for (const e of phase.elevations) {
          const size = sizes.get(e.id);
          if (size === undefined) throw new Error(`no parts-list size for elevation ${e.id}`);
          f.elevations++;
          bytes += size;
          const walk = t('login') + down + t('phasesSelect') + t('elevationsSelect') + t('partsListBase', size) + t('logout');
          f.coldWork += walk;
          // The phase's first session also lists the project, its phases and this phase on the way.
          f.criticalPath = Math.max(f.criticalPath, walk + t('projects') + t('phases') + listing);
        }
      }
    }
  }
  f.meanPartsListMB = f.elevations ? bytes / f.elevations / 1e6 : 0;
  return f;
}

/** The parallel limit: the unavoidable work spread over every licence, or the longest chain if that is longer. */
export function parallelLimit(work: number, criticalPath: number, licences: number): number {
  return Math.max(work / licences, criticalPath);
}
