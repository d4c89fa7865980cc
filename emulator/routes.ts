import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultPlan } from './faults';
import { elevationData, phaseData, projectData, type FixtureElevation } from './fixture';
import type { FixtureIndex } from './fixture-index';
import { ApiError, errorReply, isGuid, licenceLimit, MSG, ok, type Reply } from './http-util';
import type { LatencyKey } from './latency';
import type { PartsListCache } from './parts-lists';
import type { Session, SessionStore } from './sessions';
import { listDirectories, requireState, select, type NavOptions } from './state-machine';
import type { StatsCollector } from './stats';

/** Everything a handler may touch; owned by LogikalEmulator. */
export interface EmulatorCore {
  index: FixtureIndex;
  sessions: SessionStore;
  stats: StatsCollector;
  partsLists: PartsListCache;
  faults: FaultPlan;
  nav: NavOptions;
  username: string;
  password: string;
  maxSessions: number;
  /** How a login beyond maxSessions is refused; no message = the licence-limit text. */
  licenceRefusal: { status: number; message?: string };
  thumbnailsDir: string;
  /** What GET /version reports as MbioeService's version (a new one is a new server to the client). */
  serverVersion: string;
}

export interface CallContext {
  core: EmulatorCore;
  params: string[];
  /** Query parameters with lower-cased names (WCF matches them case-insensitively). */
  query: Map<string, string>;
  /** The caller's session; undefined only on routes with auth: false. */
  session: Session | undefined;
  /** A closure (reads and caches the request body), so handlers may pass it on unbound. */
  body: () => Promise<Record<string, unknown>>;
}

export interface HandlerResult {
  reply: Reply;
  /** Decoded payload size, for the per-MB parts-list latency. */
  bytes?: number;
  /** Undo hook when the reply is cut off by a fault (a login whose token never arrived). */
  onCutOff?: () => void;
  /** The session a login created (the call had none when it came in). */
  session?: Session;
  /** Runs when the reply goes out whole (no fault replaced, cut or lost it). */
  onDelivered?: () => void;
}

export interface Route {
  method: string;
  /** Swagger path; also the stats key ("GET /elevations/{elevationId}/thumbnail"). */
  template: string;
  pattern: RegExp;
  latency: LatencyKey;
  auth: boolean;
  handle(c: CallContext): HandlerResult | Promise<HandlerResult>;
}

function sess(c: CallContext): Session {
  if (!c.session) throw new ApiError(401, MSG.invalidSession);
  return c.session;
}

const ONE_PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC', 'base64');
const thumbnailCache = new Map<string, Buffer>();

function thumbnailBytes(core: EmulatorCore, e: FixtureElevation): Buffer {
  if (!e.thumbnail) return ONE_PIXEL_PNG;
  const file = join(core.thumbnailsDir, e.thumbnail);
  let buf = thumbnailCache.get(file);
  if (!buf) {
    buf = readFileSync(file);
    thumbnailCache.set(file, buf);
  }
  return buf;
}

const THUMB_ENUMS: Record<string, string[]> = {
  format: ['png', 'jpg', 'emf'],
  view: ['interior', 'exterior'],
  withdimensions: ['true', 'false'],
  withdescription: ['true', 'false'],
};

/** All six params are required [S]; values checked case-insensitively like .NET enum/bool parsing. */
function validateThumbnailQuery(q: Map<string, string>): void {
  for (const name of ['width', 'height']) {
    const v = q.get(name);
    if (v === undefined || !/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 10000) throw new ApiError(400, MSG.badRequestObject);
  }
  for (const [name, allowed] of Object.entries(THUMB_ENUMS)) {
    const v = q.get(name);
    if (v === undefined || !allowed.includes(v.toLowerCase())) throw new ApiError(400, MSG.badRequestObject);
  }
}

/** Real PNG bytes whatever format was asked for: clients must sniff the magic, not trust the request. */
function thumbnail(core: EmulatorCore, e: FixtureElevation): HandlerResult {
  return { reply: { kind: 'binary', status: 200, body: thumbnailBytes(core, e), contentType: 'application/octet-stream' } };
}

function quotationPrice(e: FixtureElevation): string {
  if (e.quotationPrice !== undefined) return e.quotationPrice;
  const euros = Math.round(((e.width * e.height) / 1e6) * 612.5 * 100 + 35_000) / 100;
  return '€ ' + euros.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

async function login(c: CallContext): Promise<HandlerResult> {
  const { core } = c;
  let body: Record<string, unknown>;
  try {
    body = await c.body();
  } catch (err) {
    core.stats.bump('failedLogins');
    throw err;
  }
  const { username, password, erp } = body;
  if (typeof username !== 'string' || typeof password !== 'string' || (erp !== undefined && typeof erp !== 'boolean')) {
    core.stats.bump('failedLogins');
    throw new ApiError(400, MSG.badRequest);
  }
  if (username !== core.username || password !== core.password) {
    core.stats.bump('failedLogins');
    throw new ApiError(401, MSG.badCredentials);
  }
  const session = core.sessions.create(username);
  if (!session) {
    core.stats.bump('refusedLogins');
    const { status, message } = core.licenceRefusal;
    return { reply: errorReply(status, message ?? licenceLimit(core.maxSessions)) };
  }
  core.stats.bump('logins');
  return {
    reply: ok({ username: session.username, token: session.token }),
    session,
    // A login whose reply was cut off must not hold a licence seat the client can never free.
    onCutOff: () => {
      if (core.sessions.remove(session.token)) core.stats.loginRolledBack();
    },
  };
}

function route(method: string, template: string, latency: LatencyKey, auth: boolean, handle: Route['handle']): Route {
  const source = template
    .split('/')
    .map((seg) => (seg.startsWith('{') ? '([^/]+)' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return { method, template, pattern: new RegExp(`^${source}$`, 'i'), latency, auth, handle };
}

export const ROUTES: Route[] = [
  route('POST', '/auth', 'login', false, login),
  route('DELETE', '/auth', 'logout', true, (c) => {
    c.core.sessions.remove(sess(c).token);
    c.core.stats.bump('logouts');
    return { reply: ok() };
  }),
  route('GET', '/version', 'version', false, (c) => ({
    reply: ok({
      componentVersions: [
        { name: 'MbioeService', version: c.core.serverVersion, description: 'LogiKal MBIOE REST service (emulated by logikal-bridge)' },
        { name: 'LogiKal', version: '12.2.6', description: '' },
      ],
    }),
  })),
  route('GET', '/directories', 'directories', true, (c) => {
    const s = sess(c);
    const { ctx, dirs } = listDirectories(s.ctx, c.core.index, c.core.nav);
    s.ctx = ctx;
    return { reply: ok(dirs.map((d) => ({ name: d.name, path: d.path }))) };
  }),
  route('POST', '/directories/select', 'directoriesSelect', true, async (c) => {
    const s = sess(c);
    s.ctx = await select('directory', s.ctx, c.body, c.core.index, c.core.nav);
    return { reply: ok() };
  }),
  route('GET', '/projects', 'projects', true, (c) => {
    const s = sess(c);
    requireState(s.ctx, 'directory');
    return { reply: ok((s.ctx.dir?.projects ?? []).map(projectData)) };
  }),
  route('POST', '/projects/select', 'projectsSelect', true, async (c) => {
    const s = sess(c);
    s.ctx = await select('project', s.ctx, c.body, c.core.index, c.core.nav);
    return { reply: ok() };
  }),
  route('GET', '/projects/selected', 'projectsSelected', true, (c) => {
    const s = sess(c);
    requireState(s.ctx, 'project');
    return { reply: ok(projectData(s.ctx.project!)) };
  }),
  route('GET', '/phases', 'phases', true, (c) => {
    const s = sess(c);
    requireState(s.ctx, 'project');
    return { reply: ok(s.ctx.project!.phases.map(phaseData)) };
  }),
  route('POST', '/phases/select', 'phasesSelect', true, async (c) => {
    const s = sess(c);
    s.ctx = await select('phase', s.ctx, c.body, c.core.index, c.core.nav);
    return { reply: ok() };
  }),
  route('GET', '/elevations', 'elevations', true, (c) => {
    const s = sess(c);
    requireState(s.ctx, 'phase');
    return { reply: ok(s.ctx.phase!.elevations.map(elevationData)) };
  }),
  route('GET', '/elevations/{elevationId}/thumbnail', 'thumbnail', true, (c) => {
    const s = sess(c);
    requireState(s.ctx, 'phase');
    validateThumbnailQuery(c.query);
    const id = c.params[0];
    // Swagger declares no 404 here; an id outside the selected phase is "can't be performed on the requested object".
    const e = isGuid(id) ? s.ctx.phase!.elevations.find((x) => x.id === id.toLowerCase()) : undefined;
    if (!e) throw new ApiError(400, MSG.badRequestObject);
    return thumbnail(c.core, e);
  }),
  route('POST', '/elevations/select', 'elevationsSelect', true, async (c) => {
    const s = sess(c);
    s.ctx = await select('elevation', s.ctx, c.body, c.core.index, c.core.nav);
    return { reply: ok() };
  }),
  route('GET', '/elevations/selected/thumbnail', 'thumbnail', true, (c) => {
    const s = sess(c);
    requireState(s.ctx, 'elevation');
    validateThumbnailQuery(c.query);
    return thumbnail(c.core, s.ctx.elevation!);
  }),
  route('GET', '/elevations/selected/parts-list', 'partsListBase', true, (c) => {
    const s = sess(c);
    requireState(s.ctx, 'elevation');
    const { elevation, phase, project } = s.ctx;
    const corrupt = c.core.faults.corruptKindFor(elevation!.id, elevation!.name);
    if (corrupt) c.core.stats.fault('corruptPartsList', 'GET /elevations/selected/parts-list');
    const pl = c.core.partsLists.get({ elevation: elevation!, phase: phase!, project: project! }, corrupt);
    return { reply: ok(pl.base64), bytes: pl.bytes, onDelivered: () => c.core.stats.partsListDelivered(elevation!.id, pl.bytes) };
  }),
  route('GET', '/elevations/selected/quotation-price', 'quotationPrice', true, (c) => {
    const s = sess(c);
    requireState(s.ctx, 'elevation');
    return { reply: ok({ quotationPrice: quotationPrice(s.ctx.elevation!) }) };
  }),
];

/** Literal templates win over parameterised ones (/elevations/selected/thumbnail vs /elevations/{id}/thumbnail). */
const BY_SPECIFICITY = [...ROUTES].sort((a, b) => Number(a.template.includes('{')) - Number(b.template.includes('{')));

export function matchRoute(method: string, relPath: string): { route: Route; params: string[] } | 'wrong-method' | undefined {
  let pathMatched = false;
  for (const r of BY_SPECIFICITY) {
    const m = r.pattern.exec(relPath);
    if (!m) continue;
    pathMatched = true;
    if (r.method === method) return { route: r, params: m.slice(1).map((p) => decodeURIComponent(p)) };
  }
  return pathMatched ? 'wrong-method' : undefined;
}
