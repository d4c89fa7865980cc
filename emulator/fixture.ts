import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../server/paths';
import { isGuid } from './http-util';
import { NULL_GUID } from '../server/logikal/logikal-types';

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
export interface SurfaceData {
  name: string;
  colorInside: string;
  colorOutside: string;
}

export interface FixturePartsList {
  systemName?: string;
  systemCode?: string;
  systemLongName?: string;
  colorBaseLong?: string;
  targetBytes?: number;
  glassCount?: number;
  alternatives?: number;
  decoyNames?: string[];
  /** Generator seed; defaults to a hash of the elevation id. touchElevation() bumps it. */
  seed?: number;
}

export interface FixtureElevation {
  id: string;
  versionId: string;
  name: string;
  amount: number;
  isInRecycleBin: boolean;
  automaticDescription: string;
  systemDescription: string;
  modelDescription: string;
  userDescription: string;
  surfaceOfBaseElement?: SurfaceData;
  surfaceOfInsertions?: SurfaceData;
  createdByUser?: string;
  createdDate: number;
  changedDate: number;
  width: number;
  height: number;
  isElementPricelistElevation?: boolean;
  elementPricelistId?: string;
  type?: string;
  state?: string;
  thumbnail?: string;
  quotationPrice?: string;
  partsList?: FixturePartsList;
}

export interface FixturePhase {
  id: string;
  name: string;
  description: string;
  elevations: FixtureElevation[];
}

export interface FixtureProject {
  id: string;
  name: string;
  createdDate: number;
  changedDate: number;
  isDeleted: boolean;
  jobNumber: string;
  offerNumber: string;
  personInCharge: string;
  estimated: boolean;
  phases: FixturePhase[];
}

export interface FixtureDirectory {
  name: string;
  path: string;
  children?: FixtureDirectory[];
  projects?: FixtureProject[];
}

export interface EmulatorFixture {
  directories: FixtureDirectory[];
}

export class FixtureError extends Error {}

function fail(where: string, what: string): never {
  throw new FixtureError(`fixture ${where}: ${what}`);
}

type Check = (o: Record<string, unknown>, key: string, where: string, optional?: boolean) => void;

/** A field check: absent is fine when optional, otherwise the value must pass `ok`. */
function check(ok: (v: unknown) => boolean, expected: string): Check {
  return (o, key, where, optional = false) => {
    const v = o[key];
    if (v === undefined && optional) return;
    if (!ok(v)) fail(where, `"${key}" must be ${expected}`);
  };
}

const str = check((v) => typeof v === 'string', 'a string');
const num = check((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, 'a non-negative number');
const bool = check((v) => typeof v === 'boolean', 'a boolean');
const guid = check((v) => isGuid(v) && v === (v as string).toLowerCase(), 'a lowercase GUID');
function obj(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(where, 'must be an object');
  return v as Record<string, unknown>;
}
function arr(o: Record<string, unknown>, key: string, where: string, optional = false): unknown[] {
  const v = o[key];
  if (v === undefined && optional) return [];
  if (!Array.isArray(v)) fail(where, `"${key}" must be an array`);
  return v;
}

function validateElevation(v: unknown, where: string, seenElevations: Set<string>): void {
  const e = obj(v, where);
  guid(e, 'id', where);
  guid(e, 'versionId', where);
  guid(e, 'elementPricelistId', where, true);
  for (const k of ['name', 'automaticDescription', 'systemDescription', 'modelDescription', 'userDescription']) str(e, k, where);
  for (const k of ['createdByUser', 'type', 'state', 'thumbnail', 'quotationPrice']) str(e, k, where, true);
  for (const k of ['amount', 'width', 'height', 'createdDate', 'changedDate']) num(e, k, where);
  bool(e, 'isInRecycleBin', where);
  bool(e, 'isElementPricelistElevation', where, true);
  for (const k of ['surfaceOfBaseElement', 'surfaceOfInsertions']) {
    if (e[k] === undefined) continue;
    const s = obj(e[k], `${where}.${k}`);
    for (const sk of ['name', 'colorInside', 'colorOutside']) str(s, sk, `${where}.${k}`);
  }
  if (typeof e.thumbnail === 'string' && /[\\/]|^\.\.?$/.test(e.thumbnail)) fail(where, '"thumbnail" must be a bare file name');
  if (e.partsList !== undefined) {
    const p = obj(e.partsList, `${where}.partsList`);
    for (const k of ['systemName', 'systemCode', 'systemLongName', 'colorBaseLong']) str(p, k, `${where}.partsList`, true);
    for (const k of ['targetBytes', 'glassCount', 'alternatives', 'seed']) num(p, k, `${where}.partsList`, true);
    const decoys = arr(p, 'decoyNames', `${where}.partsList`, true);
    if (decoys.some((d) => typeof d !== 'string')) fail(`${where}.partsList`, '"decoyNames" must be strings');
  }
  const id = e.id as string;
  if (seenElevations.has(id)) fail(where, `duplicate elevation id ${id}`);
  seenElevations.add(id);
}

function validateProject(v: unknown, where: string, seen: { projects: Set<string>; elevations: Set<string> }): void {
  const p = obj(v, where);
  guid(p, 'id', where);
  for (const k of ['name', 'jobNumber', 'offerNumber', 'personInCharge']) str(p, k, where);
  for (const k of ['createdDate', 'changedDate']) num(p, k, where);
  for (const k of ['isDeleted', 'estimated']) bool(p, k, where);
  if (seen.projects.has(p.id as string)) fail(where, `duplicate project id ${String(p.id)}`);
  seen.projects.add(p.id as string);
  const phaseIds = new Set<string>();
  arr(p, 'phases', where).forEach((ph, i) => {
    const w = `${where}.phases[${i}]`;
    const phase = obj(ph, w);
    guid(phase, 'id', w);
    str(phase, 'name', w);
    str(phase, 'description', w);
    if (phaseIds.has(phase.id as string)) fail(w, `duplicate phase id ${String(phase.id)} in project`);
    phaseIds.add(phase.id as string);
    arr(phase, 'elevations', w).forEach((e, j) => validateElevation(e, `${w}.elevations[${j}]`, seen.elevations));
  });
  if (!phaseIds.has(NULL_GUID)) fail(where, 'every project needs its default phase (id = null GUID)');
}

function validateDirectory(v: unknown, where: string, parentPath: string | null, seen: { projects: Set<string>; elevations: Set<string>; paths: Set<string> }): void {
  const d = obj(v, where);
  str(d, 'name', where);
  str(d, 'path', where);
  const name = d.name as string;
  if (name === '' || name.includes('/')) fail(where, 'directory "name" must be non-empty and contain no "/"');
  const expected = parentPath === null ? name : `${parentPath}/${name}`;
  if (d.path !== expected) fail(where, `"path" must be "${expected}"`);
  if (seen.paths.has(expected)) fail(where, `duplicate directory path ${expected}`);
  seen.paths.add(expected);
  arr(d, 'projects', where, true).forEach((p, i) => validateProject(p, `${where}.projects[${i}]`, seen));
  arr(d, 'children', where, true).forEach((c, i) => validateDirectory(c, `${where}.children[${i}]`, expected, seen));
}

/** Throws FixtureError naming the first offending field. */
export function validateFixture(value: unknown): EmulatorFixture {
  const root = obj(value, 'root');
  const seen = { projects: new Set<string>(), elevations: new Set<string>(), paths: new Set<string>() };
  arr(root, 'directories', 'root').forEach((d, i) => validateDirectory(d, `directories[${i}]`, null, seen));
  return value as EmulatorFixture;
}

/** Validates one elevation record (for addElevation at runtime). */
export function checkElevation(value: unknown): FixtureElevation {
  validateElevation(value, 'elevation', new Set());
  return value as FixtureElevation;
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
