import { LogikalInvalidArgumentError, LogikalProtocolError } from './logikal-errors';

/** Wire and normalised models of the MBIOE REST v3 endpoints the bridge uses (swagger v12.2.6.59). */

export const NULL_GUID = '00000000-0000-0000-0000-000000000000';
export const GUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** POST /auth body (LoginData). */
export interface LoginRequest { username: string; password: string; erp: boolean }
/** POST /auth data (SessionData). */
export interface SessionData { username: string; token: string }
/** POST /directories/select body (DirectorySelectionData): directories are addressed by path. */
export interface DirectorySelectionRequest { identifier: string }
/** POST /projects|phases|elevations/select body (SelectionData). */
export interface SelectionRequest { identifier: string }

/** Success envelope; `data` may be missing/null, and some proxies hand back a bare list. */
export interface SuccessEnvelope<T> { data?: T | null; hints?: string[]; warnings?: string[] }

export interface LogikalComponentVersion { name: string; version: string; description: string | null }
export interface LogikalVersion { componentVersions: LogikalComponentVersion[] }

export interface LogikalDirectory { name: string; path: string }

export interface LogikalProject {
  id: string;
  name: string;
  /** Unix seconds. */
  createdDate: number | null;
  changedDate: number | null;
  isDeleted: boolean;
  jobNumber: string | null;
  offerNumber: string | null;
  personInCharge: string | null;
  estimated: boolean | null;
}

export interface LogikalPhase { id: string; name: string; description: string | null }

export interface LogikalSurface { name: string; colorInside: string; colorOutside: string }

export interface LogikalElevation {
  id: string;
  versionId: string | null;
  name: string;
  amount: number | null;
  isInRecycleBin: boolean | null;
  automaticDescription: string | null;
  systemDescription: string | null;
  modelDescription: string | null;
  userDescription: string | null;
  surfaceOfBaseElement: LogikalSurface | null;
  surfaceOfInsertions: LogikalSurface | null;
  createdByUser: string | null;
  createdDate: number | null;
  changedDate: number | null;
  width: number | null;
  height: number | null;
  isElementPricelistElevation: boolean | null;
  elementPricelistId: string | null;
  type: string | null;
  state: string | null;
}

export interface LogikalQuotationPrice { quotationPrice: string | null }

export type ThumbnailFormat = 'PNG' | 'JPG' | 'EMF';
export type ThumbnailView = 'Interior' | 'Exterior';
export interface ThumbnailOptions {
  width?: number;
  height?: number;
  format?: ThumbnailFormat;
  view?: ThumbnailView;
  withdimensions?: boolean;
  withdescription?: boolean;
}
/** What the predecessor used on the real server. */
export const THUMBNAIL_DEFAULTS: Required<ThumbnailOptions> = {
  width: 300, height: 300, format: 'PNG', view: 'Interior', withdimensions: true, withdescription: false,
};

/** Where a unit of work runs: a directory path (cumulative prefixes are selected), then ids. */
export interface LogikalPath {
  /** Slash-separated path from the project-center root ('' = stay at root), or explicit segments. */
  directory: string | string[];
  projectId?: string;
  phaseId?: string;
  elevationId?: string;
}

export function assertGuid(id: unknown, what: string): string {
  if (typeof id !== 'string' || !GUID_PATTERN.test(id)) {
    throw new LogikalInvalidArgumentError(`${what} must be a GUID`, { local: true });
  }
  return id;
}

export function sameGuid(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && a.toLowerCase() === b.toLowerCase();
}

// ---- tolerant readers ---------------------------------------------------------------------------

type Obj = Record<string, unknown>;

/** `data` of an envelope: tolerates a bare value/list, a missing or null `data`. */
export function unwrapData(body: unknown): unknown {
  if (Array.isArray(body)) return body;
  if (body !== null && typeof body === 'object') {
    const o = body as Obj;
    return 'data' in o ? o.data : undefined;
  }
  return body;
}

export function readList(body: unknown, what: string): Obj[] {
  const data = unwrapData(body);
  if (data === undefined || data === null) return [];
  if (!Array.isArray(data)) throw new LogikalProtocolError(`${what}: expected a list in data`);
  return data.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new LogikalProtocolError(`${what}: item ${i} is not an object`);
    }
    return item as Obj;
  });
}

export function readObject(body: unknown, what: string): Obj | null {
  const data = unwrapData(body);
  if (data === undefined || data === null) return null;
  if (typeof data !== 'object' || Array.isArray(data)) throw new LogikalProtocolError(`${what}: expected an object in data`);
  return data as Obj;
}

function str(o: Obj, k: string): string | null {
  const v = o[k];
  return typeof v === 'string' ? v : null;
}
function num(o: Obj, k: string): number | null {
  const v = o[k];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}
function bool(o: Obj, k: string): boolean | null {
  const v = o[k];
  return typeof v === 'boolean' ? v : null;
}
function guidOrNull(o: Obj, k: string): string | null {
  const v = str(o, k);
  return v !== null && GUID_PATTERN.test(v) ? v : null;
}
/**
 * A listed object we cannot identify is a protocol error rather than a silently dropped row: a sync
 * that "lost" an item from a listing would otherwise mark it deleted.
 */
function requiredGuid(o: Obj, k: string, what: string, i: number): string {
  const v = str(o, k);
  if (v === null || !GUID_PATTERN.test(v)) throw new LogikalProtocolError(`${what}: item ${i} has no valid ${k}`);
  return v;
}
function surface(o: Obj, k: string): LogikalSurface | null {
  const v = o[k];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const s = v as Obj;
  return { name: str(s, 'name') ?? '', colorInside: str(s, 'colorInside') ?? '', colorOutside: str(s, 'colorOutside') ?? '' };
}

export function toDirectory(o: Obj, i: number): LogikalDirectory {
  const name = str(o, 'name');
  const path = str(o, 'path') ?? name;
  if (path === null || path === '') throw new LogikalProtocolError(`directories: item ${i} has neither path nor name`);
  return { name: name ?? path.split('/').pop() ?? path, path };
}

export function toProject(o: Obj, i: number): LogikalProject {
  return {
    id: requiredGuid(o, 'id', 'projects', i),
    name: str(o, 'name') ?? '',
    createdDate: num(o, 'createdDate'),
    changedDate: num(o, 'changedDate'),
    isDeleted: bool(o, 'isDeleted') ?? false,
    jobNumber: str(o, 'jobNumber'),
    offerNumber: str(o, 'offerNumber'),
    personInCharge: str(o, 'personInCharge'),
    estimated: bool(o, 'estimated'),
  };
}

export function toPhase(o: Obj, i: number): LogikalPhase {
  // The default phase carries the null GUID; an empty id means the same thing (MW normalised it so).
  const raw = o.id;
  const id = raw === undefined || raw === null || raw === '' ? NULL_GUID : requiredGuid(o, 'id', 'phases', i);
  return { id, name: str(o, 'name') ?? '', description: str(o, 'description') };
}

export function toElevation(o: Obj, i: number): LogikalElevation {
  return {
    id: requiredGuid(o, 'id', 'elevations', i),
    versionId: guidOrNull(o, 'versionId'),
    name: str(o, 'name') ?? '',
    amount: num(o, 'amount'),
    isInRecycleBin: bool(o, 'isInRecycleBin'),
    automaticDescription: str(o, 'automaticDescription'),
    systemDescription: str(o, 'systemDescription'),
    modelDescription: str(o, 'modelDescription'),
    userDescription: str(o, 'userDescription'),
    surfaceOfBaseElement: surface(o, 'surfaceOfBaseElement'),
    surfaceOfInsertions: surface(o, 'surfaceOfInsertions'),
    createdByUser: str(o, 'createdByUser'),
    createdDate: num(o, 'createdDate'),
    changedDate: num(o, 'changedDate'),
    width: num(o, 'width'),
    height: num(o, 'height'),
    isElementPricelistElevation: bool(o, 'isElementPricelistElevation'),
    elementPricelistId: guidOrNull(o, 'elementPricelistId'),
    type: str(o, 'type'),
    state: str(o, 'state'),
  };
}

export function toVersion(body: unknown): LogikalVersion {
  const o = readObject(body, 'version');
  const list = o && Array.isArray(o.componentVersions) ? o.componentVersions : [];
  const componentVersions: LogikalComponentVersion[] = [];
  for (const c of list) {
    if (c === null || typeof c !== 'object') continue;
    const v = c as Obj;
    componentVersions.push({ name: str(v, 'name') ?? '', version: str(v, 'version') ?? '', description: str(v, 'description') });
  }
  return { componentVersions };
}

export function toSessionData(body: unknown): SessionData {
  const o = readObject(body, 'login');
  const token = o ? str(o, 'token') : null;
  // Swagger says GUID; accept any non-trivial opaque token but refuse what cannot go in a header.
  if (token === null || token.length < 8 || token.length > 512 || !/^[\x21-\x7e]+$/.test(token)) {
    throw new LogikalProtocolError('login: response has no usable token');
  }
  return { username: (o && str(o, 'username')) ?? '', token };
}
