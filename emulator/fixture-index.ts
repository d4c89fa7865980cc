import { randomUUID } from 'node:crypto';
import type { EmulatorFixture, FixtureDirectory, FixtureElevation, FixturePhase, FixtureProject } from './fixture';

export interface ElevationHome {
  elevation: FixtureElevation;
  phase: FixturePhase;
  project: FixtureProject;
  dir: FixtureDirectory;
}

/**
 * Lookup tables over the (mutable) fixture tree. Sessions hold object references, so an elevation
 * removed while a session sits in it keeps working for that session, as a deleted-elsewhere object
 * plausibly would until the session moves on.
 */
export class FixtureIndex {
  readonly dirs = new Map<string, FixtureDirectory>();
  readonly projects = new Map<string, { project: FixtureProject; dir: FixtureDirectory }>();
  readonly elevations = new Map<string, ElevationHome>();
  /** Lower-case phase ids of every project (the null GUID is in all of them). */
  readonly phaseIds = new Set<string>();

  constructor(readonly fixture: EmulatorFixture) {
    this.rebuild();
  }

  rebuild(): void {
    this.dirs.clear();
    this.projects.clear();
    this.elevations.clear();
    this.phaseIds.clear();
    const walk = (dir: FixtureDirectory): void => {
      this.dirs.set(dir.path, dir);
      for (const project of dir.projects ?? []) {
        this.projects.set(project.id, { project, dir });
        for (const phase of project.phases) {
          this.phaseIds.add(phase.id);
          for (const elevation of phase.elevations) this.elevations.set(elevation.id, { elevation, phase, project, dir });
        }
      }
      for (const child of dir.children ?? []) walk(child);
    };
    for (const d of this.fixture.directories) walk(d);
  }

  childDirs(dir: FixtureDirectory | undefined): FixtureDirectory[] {
    return dir ? (dir.children ?? []) : this.fixture.directories;
  }

  elevation(id: string): ElevationHome {
    const home = this.elevations.get(id.toLowerCase());
    if (!home) throw new Error(`no elevation ${id} in the fixture`);
    return home;
  }

  /**
   * A new versionId, a later changedDate (also on the project, which LogiKal would show as changed)
   * and a new parts-list seed, so the next download differs byte-wise.
   */
  touchElevation(id: string, nowSeconds: number): FixtureElevation {
    const { elevation, project } = this.elevation(id);
    elevation.versionId = randomUUID();
    elevation.changedDate = Math.max(nowSeconds, elevation.changedDate + 1);
    project.changedDate = Math.max(project.changedDate, elevation.changedDate);
    elevation.partsList = { ...elevation.partsList, seed: (elevation.partsList?.seed ?? seedFor(elevation.id)) + 1 };
    return elevation;
  }

  /** Deletes the elevation from its phase, or (toRecycleBin) just flags it as LogiKal's recycle bin does. */
  removeElevation(id: string, toRecycleBin: boolean, nowSeconds: number): void {
    const { elevation, phase, project } = this.elevation(id);
    project.changedDate = Math.max(nowSeconds, project.changedDate + 1);
    if (toRecycleBin) {
      elevation.isInRecycleBin = true;
      elevation.changedDate = project.changedDate;
      return;
    }
    phase.elevations.splice(phase.elevations.indexOf(elevation), 1);
    this.rebuild();
  }

  addElevation(projectId: string, phaseId: string, elevation: FixtureElevation, nowSeconds: number): void {
    const entry = this.projects.get(projectId.toLowerCase());
    if (!entry) throw new Error(`no project ${projectId} in the fixture`);
    const phase = entry.project.phases.find((p) => p.id === phaseId.toLowerCase());
    if (!phase) throw new Error(`no phase ${phaseId} in project ${projectId}`);
    if (this.elevations.has(elevation.id)) throw new Error(`elevation ${elevation.id} already exists`);
    phase.elevations.push(elevation);
    entry.project.changedDate = Math.max(nowSeconds, entry.project.changedDate + 1);
    this.rebuild();
  }

  touchProject(id: string, nowSeconds: number): FixtureProject {
    const entry = this.projects.get(id.toLowerCase());
    if (!entry) throw new Error(`no project ${id} in the fixture`);
    entry.project.changedDate = Math.max(nowSeconds, entry.project.changedDate + 1);
    return entry.project;
  }

  removeProject(id: string): void {
    const entry = this.projects.get(id.toLowerCase());
    if (!entry) throw new Error(`no project ${id} in the fixture`);
    const list = entry.dir.projects ?? [];
    list.splice(list.indexOf(entry.project), 1);
    this.rebuild();
  }
}

/** Stable default parts-list seed per elevation (FNV-1a of the id). */
export function seedFor(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
