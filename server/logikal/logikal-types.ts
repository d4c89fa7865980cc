import { z } from 'zod';
import { GUID_RE, isGuid, NULL_GUID } from '../guid';
import { LogikalInvalidArgumentError, LogikalProtocolError } from './logikal-errors';

/**
 * Wire and normalised models of the MBIOE REST v3 endpoints the bridge uses (swagger v12.2.6.59).
 * Responses are read leniently: unknown fields are ignored and a missing or wrongly typed field
 * reads as null (or its fallback); only what identifies a listed item (its GUID) is strict.
 */

export { NULL_GUID };

/** POST /auth body (LoginData). */
export interface LoginRequest {
  username: string;
  password: string;
  erp: boolean;
}
/** POST /directories/select body (DirectorySelectionData): directories are addressed by path. */
export interface DirectorySelectionRequest {
  identifier: string;
}
/** POST /projects|phases|elevations/select body (SelectionData). */
export interface SelectionRequest {
  identifier: string;
}

/** Success envelope; `data` may be missing/null (never in a listing), and some proxies hand back a bare list. */
export interface SuccessEnvelope<T> {
  data?: T | null;
  hints?: string[];
  warnings?: string[];
}

// ---- lenient field readers ----------------------------------------------------------------------

const text = z.string().nullable().catch(null);
const textOr = (fallback: string) => z.string().catch(fallback);
const flag = z.boolean().nullable().catch(null);
/** A finite number, also when sent as a numeric string. */
const number = z
  .union([z.number(), z.string().trim().min(1).pipe(z.coerce.number())])
  .nullable()
  .catch(null);
const guidOrNull = z.string().regex(GUID_RE).nullable().catch(null);
/**
 * A listed object we cannot identify is a protocol error rather than a silently dropped row: a sync
 * that "lost" an item from a listing would otherwise mark it deleted.
 */
const requiredGuid = z.string('has no valid id').regex(GUID_RE, 'has no valid id');
const surface = z
  .object({ name: textOr(''), colorInside: textOr(''), colorOutside: textOr('') })
  .nullable()
  .catch(null);

// ---- payloads -----------------------------------------------------------------------------------

/** POST /auth data (SessionData). */
const Session = z.object({
  username: textOr(''),
  // Swagger says GUID; accept any non-trivial opaque token but refuse what cannot go in a header.
  token: z
    .string()
    .min(8)
    .max(512)
    .regex(/^[\x21-\x7e]+$/),
});
export type SessionData = z.output<typeof Session>;

const ComponentVersion = z.object({ name: textOr(''), version: textOr(''), description: text });
export type LogikalComponentVersion = z.output<typeof ComponentVersion>;
const Version = z.object({
  componentVersions: z
    .array(ComponentVersion.nullable().catch(null))
    .catch([])
    .transform((list) => list.filter((c) => c !== null)),
});
export type LogikalVersion = z.output<typeof Version>;

const Directory = z.object({ name: text, path: text }).transform(({ name, path: given }, ctx) => {
  const path = given ?? name;
  if (path === null || path === '') {
    ctx.addIssue({ code: 'custom', message: 'has neither path nor name' });
    return z.NEVER;
  }
  return { name: name ?? path.split('/').pop() ?? path, path };
});
export type LogikalDirectory = z.output<typeof Directory>;

const Project = z.object({
  id: requiredGuid,
  name: textOr(''),
  /** Unix seconds. */
  createdDate: number,
  changedDate: number,
  isDeleted: z.boolean().catch(false),
  jobNumber: text,
  offerNumber: text,
  personInCharge: text,
  estimated: flag,
});
export type LogikalProject = z.output<typeof Project>;

const Phase = z.object({
  // The default phase carries the null GUID; an empty id means the same thing (MW normalised it so).
  id: z.preprocess((v) => (v === undefined || v === null || v === '' ? NULL_GUID : v), requiredGuid),
  name: textOr(''),
  description: text,
});
export type LogikalPhase = z.output<typeof Phase>;

export type LogikalSurface = NonNullable<z.output<typeof surface>>;

const Elevation = z.object({
  id: requiredGuid,
  versionId: guidOrNull,
  name: textOr(''),
  amount: number,
  isInRecycleBin: flag,
  automaticDescription: text,
  systemDescription: text,
  modelDescription: text,
  userDescription: text,
  surfaceOfBaseElement: surface,
  surfaceOfInsertions: surface,
  createdByUser: text,
  createdDate: number,
  changedDate: number,
  width: number,
  height: number,
  isElementPricelistElevation: flag,
  elementPricelistId: guidOrNull,
  type: text,
  state: text,
});
export type LogikalElevation = z.output<typeof Elevation>;

export interface LogikalQuotationPrice {
  quotationPrice: string | null;
}

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
  width: 300,
  height: 300,
  format: 'PNG',
  view: 'Interior',
  withdimensions: true,
  withdescription: false,
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
  if (!isGuid(id)) {
    throw new LogikalInvalidArgumentError(`${what} must be a GUID`, { local: true });
  }
  return id;
}

export function sameGuid(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && a.toLowerCase() === b.toLowerCase();
}

// ---- envelopes and items ------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const obj = z.record(z.string(), z.unknown());

/** `data` of an envelope: tolerates a bare value/list, a missing or null `data`. */
export function unwrapData(body: unknown): unknown {
  if (Array.isArray(body)) return body;
  if (body !== null && typeof body === 'object') return 'data' in body ? body.data : undefined;
  return body;
}

/** Why a 200 body is not a listing, or undefined when it is one (`{"data": [...]}` or a bare list). */
function notAListing(body: unknown): string | undefined {
  if (body === undefined) return 'the body is empty';
  if (Array.isArray(body)) return undefined;
  if (body === null || typeof body !== 'object') return 'the body is not a JSON object';
  if (!('data' in body)) return 'it has no data';
  if (body.data === null) return 'its data is null';
  return Array.isArray(body.data) ? undefined : 'its data is not a list';
}

/**
 * The items of a listing (GET /directories, /projects, /phases, /elevations), each an object.
 * A sync retires every row missing from a listing, so only a list is a listing: an empty body,
 * `{}`, `{"data": null}` or data that is not a list is a protocol error, never "nothing listed".
 * `{"data": []}` (or a bare `[]`) is a valid empty listing. `operation` is the call, "GET /projects".
 */
export function readList(body: unknown, operation: string): Obj[] {
  const malformed = notAListing(body);
  if (malformed !== undefined) {
    throw new LogikalProtocolError(`Logikal ${operation} returned a malformed listing: ${malformed}`, { operation, status: 200 });
  }
  const parsed = z.array(obj).safeParse(unwrapData(body));
  if (parsed.success) return parsed.data;
  const item = String(parsed.error.issues[0].path[0]);
  throw new LogikalProtocolError(`Logikal ${operation} returned a malformed listing: item ${item} is not an object`, {
    operation,
    status: 200,
  });
}

/** The object in `data`, or null when there is none. */
export function readObject(body: unknown, what: string): Obj | null {
  const parsed = obj.nullish().safeParse(unwrapData(body));
  if (!parsed.success) throw new LogikalProtocolError(`${what}: expected an object in data`);
  return parsed.data ?? null;
}

/** Reads item `i` of a listing; what cannot be read is a protocol error naming the list and the item. */
function itemReader<T>(schema: z.ZodType<T>, what: string): (o: Obj, i: number) => T {
  return (o, i) => {
    const parsed = schema.safeParse(o);
    if (!parsed.success) throw new LogikalProtocolError(`${what}: item ${i} ${parsed.error.issues[0].message}`);
    return parsed.data;
  };
}

export const toDirectory = itemReader(Directory, 'directories');
export const toProject = itemReader(Project, 'projects');
export const toPhase = itemReader(Phase, 'phases');
export const toElevation = itemReader(Elevation, 'elevations');

export function toVersion(body: unknown): LogikalVersion {
  return Version.parse(readObject(body, 'version') ?? {});
}

export function toSessionData(body: unknown): SessionData {
  const parsed = Session.safeParse(readObject(body, 'login'));
  if (!parsed.success) throw new LogikalProtocolError('login: response has no usable token');
  return parsed.data;
}
