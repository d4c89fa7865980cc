// The fixture of bench/reads.bench.ts: fixtures/demo.json enlarged with copies of its projects (new
// deterministic GUIDs, names "DOS22309-B", …) until it holds enough elevations for a full list-view page.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FixtureError,
  loadFixture,
  validateFixture,
  type EmulatorFixture,
  type FixtureDirectory,
  type FixtureProject,
} from '../emulator/fixture';
import { copyProject, derivedGuid } from '../emulator/fixture-copies';
import { SetupError } from './bench-processes';

/** A project the bench mirrors and force-syncs (by name and directory path, as Odoo does). */
export interface BenchProject {
  name: string;
  id: string;
  directory: string;
  elevations: number;
}

export interface BenchFixture {
  file: string;
  /** Projects with elevations, most elevations first. */
  projects: BenchProject[];
  sourceElevations: number;
  /** Names of the projects added to the source fixture. */
  copies: string[];
}

const elevationCount = (p: FixtureProject) => p.phases.reduce((n, ph) => n + ph.elevations.length, 0);

function projectsWithDirs(fixture: EmulatorFixture): Array<{ project: FixtureProject; dir: FixtureDirectory }> {
  const found: Array<{ project: FixtureProject; dir: FixtureDirectory }> = [];
  const walk = (dirs: FixtureDirectory[] = []) => {
    for (const dir of dirs) {
      for (const project of dir.projects ?? []) found.push({ project, dir });
      walk(dir.children);
    }
  };
  walk(fixture.directories);
  return found;
}

/** Non-deleted projects with elevations, most elevations first. */
export function fixtureProjects(fixture: EmulatorFixture): BenchProject[] {
  return projectsWithDirs(fixture)
    .filter(({ project }) => !project.isDeleted)
    .map(({ project, dir }) => ({ name: project.name, id: project.id, directory: dir.path, elevations: elevationCount(project) }))
    .filter((p) => p.elevations > 0)
    .sort((a, b) => b.elevations - a.elevations);
}

/** The copies' ids: same namespace as before the helpers moved to the emulator, so the copies keep their GUIDs. */
const COPY_NAMESPACE = 'lkb-bench-reads';
const copyOf = (p: FixtureProject, suffix: string): FixtureProject =>
  copyProject(p, { namespace: COPY_NAMESPACE, id: derivedGuid(COPY_NAMESPACE, 'project', p.id, suffix), name: `${p.name}-${suffix}` });

/**
 * Adds copies of the source's projects (most elevations first, round robin: suffix B for the first
 * round, C for the second, …) to their own directories until at least `minElevations` exist.
 */
export function enlargeFixture(source: EmulatorFixture, minElevations: number): { fixture: EmulatorFixture; copies: string[] } {
  const fixture = structuredClone(source);
  const originals = projectsWithDirs(fixture)
    .filter(({ project }) => !project.isDeleted && elevationCount(project) > 0)
    .sort((a, b) => elevationCount(b.project) - elevationCount(a.project));
  let total = projectsWithDirs(fixture).reduce((n, { project }) => n + (project.isDeleted ? 0 : elevationCount(project)), 0);
  const copies: string[] = [];
  for (let round = 0; total < minElevations && originals.length; round++) {
    const suffix = String.fromCharCode('B'.charCodeAt(0) + round);
    for (const { project, dir } of originals) {
      if (total >= minElevations) break;
      const copy = copyOf(project, suffix);
      if ((dir.projects ?? []).some((p) => p.name === copy.name))
        throw new SetupError(`fixture already has a project ${copy.name} in ${dir.path}`);
      (dir.projects ??= []).push(copy);
      copies.push(copy.name);
      total += elevationCount(copy);
    }
  }
  return { fixture: validateFixture(fixture), copies };
}

/** Every elevation's thumbnail file must exist, or the emulator answers its thumbnail download with 500. */
function checkThumbnails(fixture: EmulatorFixture, thumbnailsDir: string): void {
  for (const { project } of projectsWithDirs(fixture)) {
    for (const e of project.phases.flatMap((ph) => ph.elevations)) {
      if (e.thumbnail && !existsSync(join(thumbnailsDir, e.thumbnail))) {
        throw new SetupError(`thumbnail ${e.thumbnail} of ${project.name}/${e.name} is not in ${thumbnailsDir}`);
      }
    }
  }
}

/** Writes the enlarged copy of `sourceFile` to `dir`/fixture.json for the emulator's --fixture. */
export function writeBenchFixture(sourceFile: string, thumbnailsDir: string, dir: string, minElevations: number): BenchFixture {
  let source: EmulatorFixture, enlarged: ReturnType<typeof enlargeFixture>;
  try {
    source = loadFixture(sourceFile);
    enlarged = enlargeFixture(source, minElevations);
  } catch (err) {
    throw err instanceof FixtureError ? new SetupError(`${sourceFile}: ${err.message}`) : err;
  }
  const { fixture, copies } = enlarged;
  checkThumbnails(fixture, thumbnailsDir);
  const file = join(dir, 'fixture.json');
  writeFileSync(file, JSON.stringify(fixture, null, 1));
  const sourceElevations = fixtureProjects(source).reduce((n, p) => n + p.elevations, 0);
  return { file, projects: fixtureProjects(fixture), sourceElevations, copies };
}
