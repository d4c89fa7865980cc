/**
 * LogiKal MBIOE REST API v3 emulator (plain node:http). Decisions where the swagger is silent or
 * contradicts what was observed (logikal-api.md §9), all [G] unless noted:
 * - Navigation rules, 404 vs 409: see state-machine.ts. Check order per call: route → fault →
 *   401 (token) → 405 (state) → 400 (body/params) → 404/409 (identifier).
 * - Licence cap: a login beyond maxSessions → 403 "The licence limit of N concurrent sessions has
 *   been reached." (swagger's 403 = missing permission is the closest documented code). The real
 *   code and text are unknown, so both are knobs (licenceRefusalStatus: 409, 429, 503…;
 *   licenceRefusalMessage) to prove a client waits for a seat whatever the server says.
 * - Login latency is spent *after* the session exists, so a client that gives up mid-login leaks
 *   a seat, as it presumably would on the real server. Injected faults never leak one: a 5xx or a
 *   hang happens before any effect; a cut-off login is rolled back — except the 'lostReply' fault,
 *   which is exactly that leak: the session is created, the connection dropped without a reply.
 * - Listing faults (per listing endpoint, persistent or scripted): a 200 whose body is empty, `{}`,
 *   `{"data":null}` (malformed) or `{"data":[]}` (a valid empty listing); the call still moves the
 *   session as usual. Real servers were never seen doing this; proxies and half-crashed services do.
 * - Down: 'refuse' closes the port (ECONNREFUSED, control door included: use downForSeconds to
 *   come back over HTTP); 'unavailable' answers every API call at once, without latency, with
 *   IIS's HTML 503 page (a stopped app pool), counted per endpoint like any call.
 * - DELETE /auth: an injected 5xx/hang happens before removal (the session stays, the client must
 *   retry, counted in faultsByEndpoint["DELETE /auth"]); a cut-off happens after removal (a retry
 *   gets 401, which the client must read as "already gone").
 * - Idle expiry is measured from the last authenticated call; expired tokens get the same 401.
 * - Tokens: lowercase UUIDs; `Authorization: Bearer <t>` or the bare token are both accepted.
 * - Paths: `//` collapsed, trailing `/` ignored, case-insensitive like WCF; only the configured
 *   prefix is served. Thumbnails: raw PNG bytes, application/octet-stream, whatever format/size
 *   was asked for (clients must sniff). GET /projects at root → [] (root holds no projects).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { getLogger } from '../server/logging';
import { fixturesDir } from '../server/paths';
import { handleControl } from './control';
import { FaultPlan, type FaultOptions } from './faults';
import { checkElevation, elevationData, loadFixture, type EmulatorFixture, type FixtureElevation } from './fixture';
import { FixtureIndex } from './fixture-index';
import {
  ApiError,
  bearerToken,
  errorReply,
  listingFaultReply,
  MSG,
  normalisePath,
  parseJsonObject,
  readBody,
  sendCutOff,
  sendReply,
  UNAVAILABLE_PAGE,
} from './http-util';
import { DEFAULT_LATENCY, latencyMs, sleep, type LatencyProfile } from './latency';
import { Listener } from './listener';
import { PartsListCache } from './parts-lists';
import { matchRoute, type CallContext, type EmulatorCore, type HandlerResult } from './routes';
import { SessionStore } from './sessions';
import { StatsCollector, type EmulatorStats } from './stats';
import type { EmulatorOptions, RuntimeOptions } from './options';
import { addGeneratedProjects } from './generated-projects';

export type { EmulatorStats } from './stats';
export type { DownMode, FaultOptions, ListingFault, ScriptedFault } from './faults';
export type { LatencyProfile } from './latency';
export { DEFAULT_LATENCY } from './latency';
export type { EmulatorFixture } from './fixture';
export type { EmulatorOptions, RuntimeOptions } from './options';
export type { GeneratedProjectsOptions } from './generated-projects';

const log = getLogger('emulator');

function refusalStatus(status: number): number {
  if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError('licenceRefusalStatus must be a 4xx or 5xx status');
  return status;
}

/** '' means "the default text" (the only way to ask for it back over HTTP). */
function customMessage(message: string | undefined): string | undefined {
  return message === '' ? undefined : message;
}

function normalisePrefix(prefix: string): string {
  const p = normalisePath('/' + prefix.trim());
  return p === '/' ? '' : p;
}

export class LogikalEmulator {
  /** Base URL including the prefix, e.g. http://127.0.0.1:41234/api/v3 */
  url = '';
  private readonly listener: Listener;
  private readonly core: EmulatorCore;
  private readonly prefix: string;
  private readonly latency: LatencyProfile;
  private latencyScale: number;
  private readonly inflight = new Set<AbortController>();
  private readonly statsCollector = new StatsCollector();
  private stopping: Promise<void> | undefined;
  private idleExpirySeconds: number;
  private downTimer: NodeJS.Timeout | undefined;
  /** Root directories of the generated projects (EmulatorOptions.generateProjects), in order. */
  readonly generatedDirectories: string[] = [];

  constructor(private readonly opts: EmulatorOptions = {}) {
    let fixture = loadFixture(opts.fixture ?? join(fixturesDir(), 'demo.json'));
    if (opts.generateProjects) {
      const generated = addGeneratedProjects(fixture, opts.generateProjects);
      fixture = generated.fixture;
      this.generatedDirectories = generated.directories;
    }
    const maxSessions = opts.maxSessions ?? 64;
    if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new RangeError('maxSessions must be a positive integer');
    this.prefix = normalisePrefix(opts.prefix ?? '/api/v3');
    this.latency = { ...DEFAULT_LATENCY, ...opts.latency };
    this.latencyScale = opts.latencyScale ?? 1;
    this.idleExpirySeconds = opts.idleExpirySeconds ?? 0;
    if (!(this.latencyScale >= 0)) throw new RangeError('latencyScale must be >= 0');
    this.core = {
      index: new FixtureIndex(fixture),
      sessions: new SessionStore({ maxSessions, idleExpirySeconds: this.idleExpirySeconds }, this.statsCollector),
      stats: this.statsCollector,
      partsLists: new PartsListCache(() => this.statsCollector.bump('partsListsGenerated')),
      faults: new FaultPlan(opts.faults ?? {}),
      nav: {
        allowSiblingSelect: opts.allowSiblingSelect ?? false,
        getDirectoriesResetsToDirectory: opts.getDirectoriesResetsToDirectory ?? false,
      },
      username: opts.username ?? 'odoo',
      password: opts.password ?? 'logikal-demo',
      maxSessions,
      licenceRefusal: { status: refusalStatus(opts.licenceRefusalStatus ?? 403), message: customMessage(opts.licenceRefusalMessage) },
      thumbnailsDir: opts.thumbnailsDir ?? join(fixturesDir(), 'thumbnails'),
      serverVersion: opts.serverVersion ?? '12.2.6.59',
    };
    this.listener = new Listener((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<this> {
    const host = this.opts.host ?? '127.0.0.1';
    if (this.opts.pregeneratePartsLists) for (const home of this.core.index.elevations.values()) this.core.partsLists.get(home);
    const port = await this.listener.listen(this.opts.port ?? 0, host);
    // Down from the start: refuse (and time the outage) only now that there is a port to close.
    if (this.core.faults.options.down !== undefined) this.setFaults(this.core.faults.options);
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    this.url = `http://${shown}:${port}${this.prefix}`;
    log.debug('emulator listening', { url: this.url });
    return this;
  }

  stats(): EmulatorStats {
    this.core.sessions.sweep();
    return this.statsCollector.snapshot(this.core.sessions.openMs());
  }

  /** Zeroes the counters; open sessions stay open (and set the new peak). */
  resetStats(): void {
    this.core.sessions.sweep();
    this.statsCollector.reset();
    this.core.sessions.restartClock();
  }

  get faults(): FaultOptions {
    return structuredClone(this.core.faults.options);
  }

  /**
   * Replaces all fault settings (and restarts the PRNG from their seed). Throws RangeError if invalid.
   * Leaving a 'refuse' outage reopens the port in the background: await {@link ready} before calling.
   */
  setFaults(f: FaultOptions): void {
    const plan = new FaultPlan(structuredClone(f ?? {}));
    this.core.faults = plan;
    clearTimeout(this.downTimer);
    if (plan.options.down === 'refuse') this.listener.refuse();
    else this.listener.reopen();
    if (plan.options.down !== undefined && plan.options.downForSeconds) {
      const rest = { ...plan.options, down: undefined, downForSeconds: undefined };
      this.downTimer = setTimeout(() => this.setFaults(rest), plan.options.downForSeconds * 1000);
      this.downTimer.unref();
    }
  }

  /** Resolves once the port accepts connections again (after a 'refuse' outage ended). */
  ready(): Promise<void> {
    return this.listener.ready();
  }

  get runtimeOptions(): Required<RuntimeOptions> {
    return {
      ...this.core.nav,
      serverVersion: this.core.serverVersion,
      maxSessions: this.core.maxSessions,
      latencyScale: this.latencyScale,
      idleExpirySeconds: this.idleExpirySeconds,
      licenceRefusalStatus: this.core.licenceRefusal.status,
      licenceRefusalMessage: this.core.licenceRefusal.message ?? '',
    };
  }

  configure(o: RuntimeOptions): void {
    if (o.latencyScale !== undefined) {
      if (!(o.latencyScale >= 0)) throw new RangeError('latencyScale must be >= 0');
      this.latencyScale = o.latencyScale;
    }
    if (o.allowSiblingSelect !== undefined) this.core.nav.allowSiblingSelect = !!o.allowSiblingSelect;
    if (o.serverVersion !== undefined) this.core.serverVersion = String(o.serverVersion).slice(0, 64) || '12.2.6.59';
    if (o.getDirectoriesResetsToDirectory !== undefined)
      this.core.nav.getDirectoriesResetsToDirectory = !!o.getDirectoriesResetsToDirectory;
    if (o.maxSessions !== undefined) {
      if (!Number.isInteger(o.maxSessions) || o.maxSessions < 1) throw new RangeError('maxSessions must be a positive integer');
      this.core.maxSessions = o.maxSessions;
    }
    if (o.idleExpirySeconds !== undefined) {
      if (!(o.idleExpirySeconds >= 0)) throw new RangeError('idleExpirySeconds must be >= 0');
      this.idleExpirySeconds = o.idleExpirySeconds;
    }
    if (o.licenceRefusalStatus !== undefined) this.core.licenceRefusal.status = refusalStatus(o.licenceRefusalStatus);
    if (o.licenceRefusalMessage !== undefined) this.core.licenceRefusal.message = customMessage(String(o.licenceRefusalMessage));
    this.core.sessions.setLimits({ maxSessions: this.core.maxSessions, idleExpirySeconds: this.idleExpirySeconds });
  }

  /** A deep copy of the current (possibly mutated) fixture. */
  get fixture(): EmulatorFixture {
    return structuredClone(this.core.index.fixture);
  }

  /** New versionId, later changedDate (elevation and project), new parts-list bytes. Returns the new ElevationData. */
  touchElevation(id: string): Record<string, unknown> {
    const e = this.core.index.touchElevation(id, nowSeconds());
    this.core.partsLists.forget(e.id);
    return elevationData(e);
  }

  /** Deletes an elevation (or only flags isInRecycleBin). Sessions already inside it keep working. */
  removeElevation(id: string, opts: { toRecycleBin?: boolean } = {}): void {
    this.core.index.removeElevation(id, opts.toRecycleBin ?? false, nowSeconds());
  }

  addElevation(projectId: string, phaseId: string, elevation: FixtureElevation): void {
    this.core.index.addElevation(projectId, phaseId, checkElevation(structuredClone(elevation)), nowSeconds());
  }

  touchProject(id: string): void {
    this.core.index.touchProject(id, nowSeconds());
  }

  removeProject(id: string): void {
    this.core.index.removeProject(id);
  }

  /** Forgets every session, as a server restart would; they count as expired. Returns how many. */
  dropAllSessions(): number {
    return this.core.sessions.dropAll();
  }

  /** Closes the listener and every socket at once, including hung "timeout" replies. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    clearTimeout(this.downTimer);
    this.stopping = new Promise<void>((resolve) => {
      for (const ac of this.inflight) ac.abort();
      this.core.sessions.stop();
      void this.listener.close().then(resolve);
    });
    return this.stopping;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ac = new AbortController();
    this.inflight.add(ac);
    res.on('close', () => {
      ac.abort();
      this.inflight.delete(ac);
    });
    const started = Date.now();
    try {
      await this.dispatch(req, res, ac.signal);
    } catch (err) {
      log.error('emulator handler failed', { err });
      sendReply(res, errorReply(500, MSG.serverError));
    } finally {
      log.debug('emulator call', { method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Date.now() - started });
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    if (this.stopping) return void res.destroy();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = normalisePath(url.pathname);
    const lower = path.toLowerCase();
    const pre = this.prefix.toLowerCase();
    if (pre && lower !== pre && !lower.startsWith(pre + '/')) return sendReply(res, errorReply(404, MSG.unknownEndpoint));
    const rel = path.slice(this.prefix.length) || '/';

    let cachedBody: Promise<Record<string, unknown>> | undefined;
    const body = (): Promise<Record<string, unknown>> => (cachedBody ??= readBody(req).then(parseJsonObject));

    if (/^\/__emulator(\/|$)/i.test(rel)) {
      // Closed after the reply, so that a 'refuse' outage set here can close the port behind it.
      res.shouldKeepAlive = false;
      return sendReply(res, await this.listener.sparing(req.socket, () => handleControl(this, method, rel, body)));
    }

    const match = matchRoute(method, rel);
    if (match === undefined || match === 'wrong-method') {
      this.statsCollector.call('UNKNOWN');
      if (!(await sleep(latencyMs(this.latency, this.latencyScale, 'other'), signal))) return;
      return sendReply(res, match ? errorReply(405, MSG.methodNotAllowed) : errorReply(404, MSG.unknownEndpoint));
    }
    const { route, params } = match;
    const key = `${route.method} ${route.template}`;
    this.statsCollector.call(key);
    if (this.core.faults.options.down === 'unavailable') {
      this.statsCollector.fault('unavailable', key);
      return sendReply(res, { kind: 'binary', status: 503, body: Buffer.from(UNAVAILABLE_PAGE), contentType: 'text/html' });
    }
    const fault = this.core.faults.decide(key);
    const wait = async (bytes = 0): Promise<boolean> => {
      const ms = latencyMs(this.latency, this.latencyScale, route.latency, bytes);
      const waited = await sleep(ms, signal);
      if (waited) this.statsCollector.latencySpent(ms);
      return waited;
    };

    // Injected 5xx and hangs happen before the call has any effect (no session created or removed).
    if (fault.kind === 'serverError') {
      this.statsCollector.fault('serverError', key);
      if (await wait()) sendReply(res, errorReply(fault.status, MSG.serverError));
      return;
    }
    if (fault.kind === 'timeout') {
      this.statsCollector.fault('timeout', key);
      await sleep(fault.hangMs, signal);
      res.destroy();
      return;
    }

    const session = route.auth ? this.core.sessions.use(bearerToken(req)) : undefined;
    const query = new Map<string, string>();
    for (const [k, v] of url.searchParams) if (!query.has(k.toLowerCase())) query.set(k.toLowerCase(), v);
    const ctx: CallContext = { core: this.core, params, query, session, body };
    let result: HandlerResult;
    try {
      if (route.auth && !session) throw new ApiError(401, MSG.invalidSession);
      result = await route.handle(ctx);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      result = { reply: errorReply(err.status, err.message) };
    }
    if (!(await wait(result.bytes ?? 0))) return;
    const held = session ?? result.session;
    if (held) this.core.sessions.replied(held, key);
    if (fault.kind === 'lostReply') {
      this.statsCollector.fault('lostReply', key);
      return void res.destroy();
    }
    if (fault.kind === 'listing' && result.reply.status === 200) {
      this.statsCollector.fault(fault.listing === 'emptyList' ? 'emptyListing' : 'malformedListing', key);
      return sendReply(res, listingFaultReply(fault.listing));
    }
    if (fault.kind === 'cutOff') {
      this.statsCollector.fault('cutOff', key);
      result.onCutOff?.();
      return sendCutOff(res, result.reply);
    }
    result.onDelivered?.();
    sendReply(res, result.reply);
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<LogikalEmulator> {
  return new LogikalEmulator(opts).listen();
}
