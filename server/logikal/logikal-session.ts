import { forgetSecret, getLogger, registerSecret } from '../logging';
import { assertThumbnail, MAX_DECODED_BYTES, thumbnailQuery } from './download-checks';
import { readPartsListBody, type PartsListDownload } from './parts-list-download';
import {
  LogikalError,
  LogikalInvalidArgumentError,
  LogikalProtocolError,
  LogikalSessionLostError,
  LogikalWrongStateError,
} from './logikal-errors';
import { LogikalHttp, parseJsonBody } from './logikal-http';
import type { CallSpec, TransportOptions } from './logikal-http';
import { assertGuid, readList, readObject, toDirectory, toElevation, toPhase, toProject, toSessionData } from './logikal-types';
import type {
  LogikalDirectory,
  LogikalElevation,
  LogikalPath,
  LogikalPhase,
  LogikalProject,
  LogikalQuotationPrice,
  ThumbnailOptions,
} from './logikal-types';
import { SessionNavigation } from './session-navigation';
import type { ExpectedLevel, SessionLevel, SessionPosition, SidewaysKind } from './session-navigation';

const log = getLogger('logikal');

/** base64 of the 10 MiB cap plus room for the envelope. */
const PARTS_LIST_MAX_WIRE_BYTES = Math.ceil(MAX_DECODED_BYTES / 3) * 4 + 64 * 1024;

let serialCounter = 0;

/**
 * One Logikal login. Logikal sessions are stateful and one-way (root → directory → project →
 * phase → elevation): the session tracks where it is and refuses locally every move the strict
 * server would refuse (going up or sideways), so a bug costs an exception, not a confused server
 * session. After a select fails in a way that leaves the server state unknown (timeout, 5xx,
 * unexpected 405) the session refuses further work: the unit must be replayed on a fresh session.
 */
export class LogikalSession {
  readonly serial: number = ++serialCounter;
  private readonly http: LogikalHttp;
  private readonly nav = new SessionNavigation();
  private phase: 'new' | 'open' | 'closed' = 'new';
  private positionUnknown = false;
  private lost = false;
  private logoutPromise: Promise<boolean> | undefined;

  constructor(private readonly opts: { transport: TransportOptions; username: string; password: string }) {
    this.http = new LogikalHttp(opts.transport, () => [opts.password]);
  }

  get position(): Readonly<SessionPosition> {
    return this.nav.position;
  }
  get isOpen(): boolean {
    return this.phase === 'open';
  }
  /** True once a call answered 401 (token unknown/expired). */
  get isLost(): boolean {
    return this.lost;
  }

  /** POST /auth, one attempt: the session pool decides whether and when to log in again (see SessionPool). */
  async login(): Promise<void> {
    if (this.phase !== 'new') throw new LogikalError('session already logged in or closed', { local: true });
    let session: ReturnType<typeof toSessionData>;
    try {
      const res = await this.http.call({
        method: 'POST',
        segments: ['auth'],
        isLogin: true,
        retry: 'none',
        body: { username: this.opts.username, password: this.opts.password, erp: true },
      });
      session = toSessionData(parseJsonBody(res, 'POST /auth'));
    } catch (err) {
      this.http.close();
      throw err;
    }
    registerSecret(session.token);
    this.http.token = session.token;
    this.phase = 'open';
  }

  /**
   * DELETE /auth; idempotent and never throws. Retried a few times on 5xx/timeouts because a
   * leaked session may hold a licence seat. Resolves true when the server confirmed (or the token
   * was already gone: 401).
   */
  logout(): Promise<boolean> {
    if (this.logoutPromise) return this.logoutPromise;
    if (this.phase !== 'open') {
      this.phase = 'closed';
      this.http.close();
      this.logoutPromise = Promise.resolve(true);
      return this.logoutPromise;
    }
    this.logoutPromise = this.doLogout();
    return this.logoutPromise;
  }

  private async doLogout(): Promise<boolean> {
    const token = this.http.token;
    try {
      await this.http.call({
        method: 'DELETE',
        segments: ['auth'],
        retry: 'logout',
        timeoutMs: Math.min(this.opts.transport.callTimeoutMs, 10_000),
      });
      return true;
    } catch (err) {
      // 401: the server no longer knows the token (e.g. an earlier attempt did log out).
      if (err instanceof LogikalSessionLostError) return true;
      const e = err as LogikalError;
      log.warn('logikal logout failed; the server session may stay open until it expires', {
        session: this.serial,
        error: e.name,
        status: e.status,
      });
      return false;
    } finally {
      this.phase = 'closed';
      this.http.token = undefined;
      this.http.close();
      forgetSecret(token);
    }
  }

  // ---- listing and fetching --------------------------------------------------------------------

  /** GET /directories: children of the current directory (root folders at root). */
  async listDirectories(): Promise<LogikalDirectory[]> {
    this.requireLevel(['root', 'directory'], 'directory');
    const body = await this.json({ method: 'GET', segments: ['directories'], retry: 'idempotent' });
    return readList(body, 'GET /directories').map(toDirectory);
  }

  async listProjects(): Promise<LogikalProject[]> {
    this.requireLevel(['root', 'directory'], 'directory');
    const body = await this.json({ method: 'GET', segments: ['projects'], retry: 'idempotent' });
    return readList(body, 'GET /projects').map(toProject);
  }

  async getSelectedProject(): Promise<LogikalProject> {
    this.requireLevel(['project'], 'project');
    const body = await this.json({ method: 'GET', segments: ['projects', 'selected'], retry: 'idempotent' });
    const o = readObject(body, 'projects/selected');
    if (!o) throw new LogikalProtocolError('projects/selected: response has no data', { operation: 'GET /projects/selected' });
    return toProject(o, 0);
  }

  async listPhases(): Promise<LogikalPhase[]> {
    this.requireLevel(['project'], 'project');
    const body = await this.json({ method: 'GET', segments: ['phases'], retry: 'idempotent' });
    return readList(body, 'GET /phases').map(toPhase);
  }

  /** GET /elevations, in the order the server gives (not sorted; do not assume any order). */
  async listElevations(): Promise<LogikalElevation[]> {
    this.requireLevel(['phase'], 'phase');
    const body = await this.json({ method: 'GET', segments: ['elevations'], retry: 'idempotent' });
    return readList(body, 'GET /elevations').map(toElevation);
  }

  /** GET /elevations/{id}/thumbnail in phase state; bytes are sniffed, not trusted by Content-Type. */
  async getThumbnail(elevationId: string, options: ThumbnailOptions = {}): Promise<Buffer> {
    assertGuid(elevationId, 'elevationId');
    this.requireLevel(['phase'], 'phase');
    const query = thumbnailQuery(options);
    const res = await this.call({
      method: 'GET',
      segments: ['elevations', elevationId, 'thumbnail'],
      retry: 'idempotent',
      accept: 'image/*',
      maxBytes: MAX_DECODED_BYTES,
      timeoutMs: this.opts.transport.downloadTimeoutMs,
      query,
    });
    assertThumbnail(res, query.format);
    return res.body;
  }

  /** GET /elevations/selected/parts-list → the decoded, checked SQLite file. */
  async getPartsList(): Promise<Buffer> {
    return (await this.downloadPartsList()).bytes;
  }

  /** The same, with the file's sha256 computed while it was decoded (see readPartsListBody). */
  async downloadPartsList(): Promise<PartsListDownload> {
    this.requireLevel(['elevation'], 'elevation');
    const res = await this.call({
      method: 'GET',
      segments: ['elevations', 'selected', 'parts-list'],
      retry: 'idempotent',
      timeoutMs: this.opts.transport.downloadTimeoutMs,
      maxBytes: PARTS_LIST_MAX_WIRE_BYTES,
    });
    try {
      return readPartsListBody(res.body);
    } catch (err) {
      if (err instanceof LogikalProtocolError) {
        throw new LogikalProtocolError(err.message, { operation: 'GET /elevations/selected/parts-list', status: res.status });
      }
      throw err;
    }
  }

  async getQuotationPrice(): Promise<LogikalQuotationPrice> {
    this.requireLevel(['elevation'], 'elevation');
    const body = await this.json({ method: 'GET', segments: ['elevations', 'selected', 'quotation-price'], retry: 'idempotent' });
    const o = readObject(body, 'quotation-price');
    const v = o?.quotationPrice;
    return { quotationPrice: typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null };
  }

  // ---- navigation --------------------------------------------------------------------------------

  /** POST /directories/select by full path; only a child of the current directory (or root) is allowed. */
  async selectDirectory(path: string): Promise<void> {
    if (typeof path !== 'string' || path === '' || path.length > 2048) {
      throw new LogikalInvalidArgumentError('directory path must be a non-empty string', { local: true });
    }
    this.requireUsable();
    this.nav.requireChildDirectory(path);
    await this.select('directories', path);
    this.nav.enter({ kind: 'directory', value: path });
  }

  async selectProject(projectId: string): Promise<void> {
    assertGuid(projectId, 'projectId');
    this.requireSelectFrom('directory', projectId, 'POST /projects/select');
    await this.select('projects', projectId);
    this.nav.enter({ kind: 'project', value: projectId });
  }

  /** The default phase is selected with the null GUID. */
  async selectPhase(phaseId: string): Promise<void> {
    assertGuid(phaseId, 'phaseId');
    this.requireSelectFrom('project', phaseId, 'POST /phases/select');
    await this.select('phases', phaseId);
    this.nav.enter({ kind: 'phase', value: phaseId });
  }

  async selectElevation(elevationId: string): Promise<void> {
    assertGuid(elevationId, 'elevationId');
    this.requireSelectFrom('phase', elevationId, 'POST /elevations/select');
    await this.select('elevations', elevationId);
    this.nav.enter({ kind: 'elevation', value: elevationId });
  }

  /**
   * Permits one kind of sideways select (a sibling phase in phase state, a sibling elevation in
   * elevation state) until called again with null. Only {@link HeldSession} does this, while the
   * server is known — or being probed — to allow it; otherwise such a select is refused locally.
   */
  permitSideways(kind: SidewaysKind | null): void {
    this.nav.permitSideways(kind);
  }

  /** The sideways select reaching `path` from here needs, if any (see {@link permitSideways}). */
  sidewaysMove(path: LogikalPath): SidewaysKind | undefined {
    return this.nav.sidewaysMove(path);
  }

  /** False once the session can take no further select: logged out, token lost, or its position unknown after a failed select. */
  get usable(): boolean {
    return this.phase === 'open' && !this.lost && !this.positionUnknown;
  }

  /**
   * Selects each cumulative directory prefix (`A`, `A/B`, …), then project, phase, elevation.
   * Continues from the current position when it is a prefix of the target (or a permitted sibling
   * of it, see {@link permitSideways}); otherwise refuses locally.
   * `directory` is a path split on '/', or the same as an array of names.
   */
  async walk(path: LogikalPath): Promise<void> {
    for (const step of this.nav.remainingSteps(path)) {
      if (step.kind === 'directory') await this.selectDirectory(step.value);
      else if (step.kind === 'project') await this.selectProject(step.value);
      else if (step.kind === 'phase') await this.selectPhase(step.value);
      else await this.selectElevation(step.value);
    }
  }

  // ---- internals ---------------------------------------------------------------------------------

  private requireUsable(): void {
    if (this.phase !== 'open') throw new LogikalSessionLostError('session is not logged in', { local: true });
    if (this.lost) throw new LogikalSessionLostError('session token is no longer valid', { local: true });
    if (this.positionUnknown) {
      throw new LogikalWrongStateError('session position unknown after a failed select; use a fresh session', { local: true });
    }
  }

  private requireSelectFrom(required: 'directory' | 'project' | 'phase', identifier: string, operation: string): void {
    this.requireUsable();
    this.nav.requireSelectFrom(required, identifier, operation);
  }

  private requireLevel(levels: SessionLevel[], expects: ExpectedLevel): void {
    this.requireUsable();
    this.nav.requireLevel(levels, expects);
  }

  /** A select is never retried in place: after a failure the server state is unknown. */
  private async select(kind: 'directories' | 'projects' | 'phases' | 'elevations', identifier: string): Promise<void> {
    try {
      await this.call({ method: 'POST', segments: [kind, 'select'], body: { identifier }, retry: 'none' });
    } catch (err) {
      // Definite refusals (404, 409) leave the state as it was; anything else leaves it unknown.
      if (err instanceof LogikalError && !(err.status === 404 || err.status === 409)) this.positionUnknown = true;
      throw err;
    }
  }

  private async call(spec: CallSpec) {
    this.requireUsable();
    try {
      return await this.http.call(spec);
    } catch (err) {
      if (err instanceof LogikalSessionLostError) this.lost = true;
      else if (err instanceof LogikalWrongStateError) this.positionUnknown = true;
      throw err;
    }
  }

  private async json(spec: CallSpec): Promise<unknown> {
    const res = await this.call(spec);
    return parseJsonBody(res, `${spec.method} /${spec.segments.join('/')}`);
  }
}
