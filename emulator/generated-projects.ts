import { NULL_GUID } from '../server/guid';
import { FixtureError, validateFixture, type EmulatorFixture, type FixtureDirectory, type FixtureElevation } from './fixture';
import { copyElevation, derivedGuid } from './fixture-copies';
import { int, prng } from './parts-list-spec';

/**
 * Projects the emulator makes up on top of its fixture, for runs over many projects (a nightly over
 * 50 tracked projects): each has 5–9 elevations (7 on average, 350 for 50), copied from the fixture's own
 * elevations — their systems, sizes, parts-list shapes and thumbnail files —, under ids derived
 * from the seed, so every run with the same seed serves the same project center. About four in ten
 * projects have a second phase besides the default one (null GUID), as real projects do.
 */
export interface GeneratedProjectsOptions {
  count: number;
  /** Same seed, same GUIDs, names and parts lists (default 1). */
  seed?: number;
  /** Projects per generated directory (default 25): 50 projects land in "Generated 01" and "Generated 02". */
  perDirectory?: number;
}

export interface GeneratedProjects {
  fixture: EmulatorFixture;
  /** Paths of the root directories holding the generated projects, in order (TRACKED_DIRECTORIES). */
  directories: string[];
  projects: number;
  elevations: number;
}

const NAMESPACE = 'lkb-emulator-generated';
/** 2025-06-15: generated projects look a year old and changed an hour apart. */
const BASE_DATE = 1_750_000_000;
const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function generatedDirectoryName(index: number): string {
  return `Generated ${pad(index + 1, 2)}`;
}

function templateElevations(source: EmulatorFixture): FixtureElevation[] {
  const found: FixtureElevation[] = [];
  const walk = (dirs: FixtureDirectory[] = []) => {
    for (const dir of dirs) {
      for (const p of dir.projects ?? []) {
        if (!p.isDeleted) for (const ph of p.phases) found.push(...ph.elevations.filter((e) => !e.isInRecycleBin));
      }
      walk(dir.children);
    }
  };
  walk(source.directories);
  return found;
}

/** Each block of five projects has 5, 6, 7, 8 and 9 elevations in a seeded order: 7 on average, 350 for 50. */
function elevationCount(seed: number, k: number): number {
  const r = prng(seed * 7_919 + Math.floor(k / 5));
  const sizes = [5, 6, 7, 8, 9];
  for (let i = sizes.length - 1; i > 0; i--) {
    const j = int(r, 0, i);
    [sizes[i], sizes[j]] = [sizes[j], sizes[i]];
  }
  return sizes[k % 5];
}

function checkOptions(o: GeneratedProjectsOptions): Required<GeneratedProjectsOptions> {
  const r = { count: o.count, seed: o.seed ?? 1, perDirectory: o.perDirectory ?? 25 };
  if (!Number.isInteger(r.count) || r.count < 0 || r.count > 10_000)
    throw new RangeError('generated project count must be an integer 0–10000');
  if (!Number.isInteger(r.seed) || r.seed < 0) throw new RangeError('generated project seed must be a non-negative integer');
  if (!Number.isInteger(r.perDirectory) || r.perDirectory < 1)
    throw new RangeError('generated projects per directory must be a positive integer');
  return r;
}

/** `source` plus the generated projects in new root directories; `source` is not modified. */
export function addGeneratedProjects(source: EmulatorFixture, options: GeneratedProjectsOptions): GeneratedProjects {
  const { count, seed, perDirectory } = checkOptions(options);
  const fixture = structuredClone(source);
  if (count === 0) return { fixture, directories: [], projects: 0, elevations: 0 };
  const templates = templateElevations(source);
  if (!templates.length) throw new FixtureError('fixture has no elevation to model generated projects on');
  const directories: FixtureDirectory[] = [];
  let elevations = 0;
  for (let k = 0; k < count; k++) {
    const d = Math.floor(k / perDirectory);
    if (!directories[d]) {
      const name = generatedDirectoryName(d);
      if (fixture.directories.some((dir) => dir.path === name)) throw new FixtureError(`fixture already has a directory "${name}"`);
      directories[d] = { name, path: name, projects: [] };
    }
    const r = prng(seed * 100_003 + k);
    const id = derivedGuid(NAMESPACE, String(seed), 'project', String(k));
    const created = BASE_DATE + k * 3600;
    const n = elevationCount(seed, k);
    const defaultPhaseSize = r() < 0.4 ? int(r, 1, n - 1) : n;
    const made = Array.from({ length: n }, (_, j): FixtureElevation => {
      const t = templates[int(r, 0, templates.length - 1)];
      const e = copyElevation(t, derivedGuid(NAMESPACE, id, 'elevation', String(j)), derivedGuid(NAMESPACE, id, 'version', String(j)));
      return { ...e, name: `P${pad(j + 1, 2)}`, createdDate: created + 60 * j, changedDate: created + 60 * j + 30 };
    });
    const phases = [{ id: NULL_GUID, name: 'Posities zonder levering', description: '', elevations: made.slice(0, defaultPhaseSize) }];
    if (defaultPhaseSize < n) {
      phases.push({
        id: derivedGuid(NAMESPACE, id, 'phase', '1'),
        name: 'Fase 1',
        description: '',
        elevations: made.slice(defaultPhaseSize),
      });
    }
    directories[d].projects!.push({
      id,
      name: `GEN${pad(seed, 2)}-${pad(k + 1, 4)}`,
      createdDate: created,
      changedDate: created + 60 * n,
      isDeleted: false,
      jobNumber: pad(900_000 + k, 10),
      offerNumber: `OFF-GEN ${pad(k + 1, 4)}`,
      personInCharge: 'Emulator',
      estimated: false,
      phases,
    });
    elevations += n;
  }
  fixture.directories.push(...directories);
  return { fixture: validateFixture(fixture), directories: directories.map((d) => d.path), projects: count, elevations };
}
