import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../server/paths';
import { z } from 'zod';
import { GUID_RE, NULL_GUID } from '../server/guid';

/**
 * Fixture format (JSON; fixtures/demo.json is the bundled example).
 *
 * ```jsonc
 * {
 *   "directories": [                       // root folders of the project center, in API order
 *     { "name": "Demo Odoo", "path": "Demo Odoo",          // path = parent path + "/" + name; root: path == name
 *       "children": [ { "name": "Sublevel 1 Testing", "path": "Demo Odoo/Sublevel 1 Testing", ... } ],
 *       "projects": [
 *         { // ProjectData fields, exactly as GET /projects returns them (dates: unix seconds)
 *           "id": "5ddb1393-…", "name": "DOS22309", "createdDate": 1711463060, "changedDate": 1756302572,
 *           "isDeleted": false, "jobNumber": "0000003948", "offerNumber": "OFF44465 NG",
 *           "personInCharge": "Nick ", "estimated": false,
 *           "phases": [                     // must contain the default phase (id = null GUID)
 *             { "id": "00000000-0000-0000-0000-000000000000", "name": "Posities zonder levering", "description": "",
 *               "elevations": [             // API order (GET /elevations does not sort)
 *                 { // ElevationData fields as the API returns them …
 *                   "id": "…", "versionId": "…", "name": "P07", "amount": 1, "width": 3100, "height": 2245,
 *                   "isInRecycleBin": false, "automaticDescription": "…", "systemDescription": "…",
 *                   "modelDescription": "…", "userDescription": "", "surfaceOfBaseElement": {name,colorInside,colorOutside},
 *                   "surfaceOfInsertions": {…}, "createdByUser": "Nick", "createdDate": 1711463100, "changedDate": 1756302000,
 *                   "isElementPricelistElevation": false, "elementPricelistId": "00000000-…", "type": "…", "state": "…",
 *                   // … plus emulator-only fields (never sent):
 *                   "thumbnail": "8e899800-…_P07.png",       // file in the thumbnails dir; omitted = 1×1 PNG
 *                   "quotationPrice": "€ 4,512.00",          // optional; default derived from the size
 *                   "partsList": { "systemName": "Reynaers MasterLine 8", "systemCode": "ML8",
 *                                  "systemLongName": "…", "colorBaseLong": "…", "targetBytes": 716800,
 *                                  "glassCount": 2, "alternatives": 0, "decoyNames": ["P1"], "seed": 123 } } ] } ] } ] } ]
 * }
 * ```
 * Ids are lowercase hyphenated GUIDs; project and elevation ids are globally unique, phase ids are
 * unique per project only (every project has the null-GUID default phase), directory paths unique.
 */
const must = (what: string) => ({ error: `must be ${what}` });
const str = z.string(must('a string'));
const num = z.number(must('a non-negative number')).nonnegative(must('a non-negative number'));
const bool = z.boolean(must('a boolean'));
const guid = z
  .string(must('a lowercase GUID'))
  .regex(GUID_RE, must('a lowercase GUID'))
  .refine((v) => v === v.toLowerCase(), must('a lowercase GUID'));
const list = <T extends z.ZodType>(item: T) => z.array(item, must('an array'));

const Surface = z.object({ name: str, colorInside: str, colorOutside: str }, must('an object'));
export type SurfaceData = z.output<typeof Surface>;

const PartsList = z.object(
  {
    systemName: str.optional(),
    systemCode: str.optional(),
    systemLongName: str.optional(),
    colorBaseLong: str.optional(),
    targetBytes: num.optional(),
    glassCount: num.optional(),
    alternatives: num.optional(),
    decoyNames: list(str).optional(),
    /** Generator seed; defaults to a hash of the elevation id. touchElevation() bumps it. */
    seed: num.optional(),
  },
  must('an object'),
);
export type FixturePartsList = z.output<typeof PartsList>;

const Elevation = z.object(
  {
    id: guid,
    versionId: guid,
    name: str,
    amount: num,
    isInRecycleBin: bool,
    automaticDescription: str,
    systemDescription: str,
    modelDescription: str,
    userDescription: str,
    surfaceOfBaseElement: Surface.optional(),
    surfaceOfInsertions: Surface.optional(),
    createdByUser: str.optional(),
    createdDate: num,
    changedDate: num,
    width: num,
    height: num,
    isElementPricelistElevation: bool.optional(),
    elementPricelistId: guid.optional(),
    type: str.optional(),
    state: str.optional(),
    thumbnail: str.refine((f) => !/[\\/]|^\.\.?$/.test(f), must('a bare file name')).optional(),
    quotationPrice: str.optional(),
    partsList: PartsList.optional(),
  },
  must('an object'),
);
export type FixtureElevation = z.output<typeof Elevation>;

const Phase = z.object({ id: guid, name: str, description: str, elevations: list(Elevation) }, must('an object'));
export type FixturePhase = z.output<typeof Phase>;

const Project = z.object(
  {
    id: guid,
    name: str,
    createdDate: num,
    changedDate: num,
    isDeleted: bool,
    jobNumber: str,
    offerNumber: str,
    personInCharge: str,
    estimated: bool,
    phases: list(Phase),
  },
  must('an object'),
);
export type FixtureProject = z.output<typeof Project>;

export interface FixtureDirectory {
  name: string;
  path: string;
  children?: FixtureDirectory[];
  projects?: FixtureProject[];
}
const Directory: z.ZodType<FixtureDirectory> = z.object(
  {
    name: str.refine((n) => n !== '' && !n.includes('/'), must('non-empty and contain no "/"')),
    path: str,
    get children() {
      return list(Directory).optional();
    },
    projects: list(Project).optional(),
  },
  must('an object'),
);

const Fixture = z.object({ directories: list(Directory) }, must('an object'));
export type EmulatorFixture = z.output<typeof Fixture>;

export class FixtureError extends Error {}

function fail(where: string, what: string): never {
  throw new FixtureError(`fixture ${where}: ${what}`);
}

/** Parses with `schema`, or throws a FixtureError naming the first offending field, e.g. `directories[0].projects[1]: "id" must be …`. */
function parse<T>(schema: z.ZodType<T>, value: unknown, base = ''): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const { path, message } = parsed.error.issues[0];
  const last = path.at(-1);
  const field = typeof last === 'string' ? path.slice(0, -1) : path;
  const where = field.reduce<string>((w, k) => (typeof k === 'number' ? `${w}[${k}]` : w ? `${w}.${String(k)}` : String(k)), base);
  return fail(where || 'root', typeof last === 'string' ? `"${last}" ${message}` : message);
}

/** What the schema cannot see: directory paths follow names, ids are unique, every project has its default phase. */
function checkTree(fixture: EmulatorFixture): void {
  const seen = { paths: new Set<string>(), projects: new Set<string>(), elevations: new Set<string>() };
  const walk = (dirs: FixtureDirectory[], parentPath: string | null, where: string): void =>
    dirs.forEach((d, i) => {
      const w = `${where}[${i}]`;
      const expected = parentPath === null ? d.name : `${parentPath}/${d.name}`;
      if (d.path !== expected) fail(w, `"path" must be "${expected}"`);
      if (seen.paths.has(expected)) fail(w, `duplicate directory path ${expected}`);
      seen.paths.add(expected);
      (d.projects ?? []).forEach((p, j) => {
        const pw = `${w}.projects[${j}]`;
        if (seen.projects.has(p.id)) fail(pw, `duplicate project id ${p.id}`);
        seen.projects.add(p.id);
        const phaseIds = new Set<string>();
        p.phases.forEach((phase, k) => {
          if (phaseIds.has(phase.id)) fail(`${pw}.phases[${k}]`, `duplicate phase id ${phase.id} in project`);
          phaseIds.add(phase.id);
          phase.elevations.forEach((e, l) => {
            if (seen.elevations.has(e.id)) fail(`${pw}.phases[${k}].elevations[${l}]`, `duplicate elevation id ${e.id}`);
            seen.elevations.add(e.id);
          });
        });
        if (!phaseIds.has(NULL_GUID)) fail(pw, 'every project needs its default phase (id = null GUID)');
      });
      walk(d.children ?? [], expected, `${w}.children`);
    });
  walk(fixture.directories, null, 'directories');
}

/** Throws FixtureError naming the first offending field. */
export function validateFixture(value: unknown): EmulatorFixture {
  const fixture = parse(Fixture, value);
  checkTree(fixture);
  return fixture;
}

/** Validates one elevation record (for addElevation at runtime). */
export function checkElevation(value: unknown): FixtureElevation {
  return parse(Elevation, value, 'elevation');
}

export function defaultFixturePath(): string {
  return join(fixturesDir(), 'demo.json');
}

/** Loads (a deep copy of) a fixture: runtime mutations never touch the caller's object or file. */
export function loadFixture(source: string | EmulatorFixture = defaultFixturePath()): EmulatorFixture {
  const text = typeof source === 'string' ? readFileSync(source, 'utf8') : JSON.stringify(source);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FixtureError(`fixture is not valid JSON: ${(err as Error).message}`);
  }
  return validateFixture(parsed);
}

/** The ElevationData the API sends, in swagger field order, without the emulator-only fields. */
export function elevationData(e: FixtureElevation): Record<string, unknown> {
  const noSurface: SurfaceData = { name: '', colorInside: '', colorOutside: '' };
  return {
    id: e.id,
    versionId: e.versionId,
    name: e.name,
    amount: e.amount,
    isInRecycleBin: e.isInRecycleBin,
    automaticDescription: e.automaticDescription,
    systemDescription: e.systemDescription,
    modelDescription: e.modelDescription,
    userDescription: e.userDescription,
    surfaceOfBaseElement: e.surfaceOfBaseElement ?? noSurface,
    surfaceOfInsertions: e.surfaceOfInsertions ?? noSurface,
    createdByUser: e.createdByUser ?? '',
    createdDate: e.createdDate,
    changedDate: e.changedDate,
    width: e.width,
    height: e.height,
    isElementPricelistElevation: e.isElementPricelistElevation ?? false,
    elementPricelistId: e.elementPricelistId ?? NULL_GUID,
    type: e.type ?? '',
    state: e.state ?? '',
  };
}

export function projectData(p: FixtureProject): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    createdDate: p.createdDate,
    changedDate: p.changedDate,
    isDeleted: p.isDeleted,
    jobNumber: p.jobNumber,
    offerNumber: p.offerNumber,
    personInCharge: p.personInCharge,
    estimated: p.estimated,
  };
}

export function phaseData(p: FixturePhase): Record<string, unknown> {
  return { id: p.id, name: p.name, description: p.description };
}
