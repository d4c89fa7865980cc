import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios from 'axios';
import type { AxiosResponse } from 'axios';
import { CookieJar } from 'tough-cookie';
import { getLogger } from '../logging';
import {
  LogikalConnectionError,
  LogikalError,
  LogikalProtocolError,
  LogikalShutdownError,
  LogikalTimeoutError,
  classifyHttpError,
} from './logikal-errors';
import type { LogikalPolicy, RetryMode } from './logikal-policy';
import type { LogikalRequestObservation } from '../metrics';

/** Moved to the policy module; re-exported for existing importers. */
export { backoffDelay } from './logikal-policy';

const log = getLogger('logikal');

export interface TransportOptions {
  baseUrl: string;
  callTimeoutMs: number;
  downloadTimeoutMs: number;
  /** The client's timeout/retry/circuit-breaker policy, shared by all its sessions. */
  policy: LogikalPolicy;
  /** Aborted at shutdown: every call but a logout stops at once, and none starts after. */
  stop?: AbortSignal;
  /** Told about every HTTP exchange (the request-duration metric): the endpoint as a template, never an id. */
  onRequest?: (o: LogikalRequestObservation) => void;
  /** Keep-alive connections shared by the client's sessions (a session is its token and cookies, not its connection). */
  agent?: http.Agent;
}

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface CallSpec {
  method: HttpMethod;
  /** Path segments after the base URL; each one is percent-encoded. */
  segments: readonly string[];
  query?: Record<string, string>;
  body?: unknown;
  accept?: string;
  timeoutMs?: number;
  /** Whether a transient failure is retried in place; default 'none'. */
  retry?: RetryMode;
  isLogin?: boolean;
  /** Cap on the response body in bytes. */
  maxBytes?: number;
}

export interface CallResult {
  status: number;
  contentType: string;
  body: Buffer;
}

/** JSON envelopes are small; parts lists are ≤10 MiB decoded → ~14 MiB base64 plus envelope. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Base URL + encoded segments, never producing `//` (the real server tolerates it; we don't rely on that). */
export function joinUrl(baseUrl: string, segments: readonly string[], query?: Record<string, string>): string {
  const base = baseUrl.replace(/\/+$/, '');
  const path = segments
    .map((s) => {
      if (s === '' || s === '.' || s === '..') throw new LogikalError(`invalid URL path segment`, { local: true });
      return encodeURIComponent(s);
    })
    .join('/');
  const qs = query ? new URLSearchParams(query).toString() : '';
  return `${base}/${path}${qs ? '?' + qs : ''}`;
}

/** Retry-After as seconds or HTTP date; a hostile or broken header never parks us longer than capMs. */
export function parseRetryAfter(header: unknown, capMs: number, now: number = Date.now()): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const v = header.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const t = Date.parse(v);
    if (Number.isNaN(t)) return undefined;
    ms = t - now;
  }
  if (!Number.isFinite(ms) || ms < 0) return 0;
  return Math.min(ms, capMs);
}

/**
 * One HTTP channel = one Logikal session: its own cookie jar (load balancers pin a session by
 * cookie) and its own token, over the client's keep-alive connections (a connection per call cost
 * a connect and a close each; a session is not tied to a connection). Never shared between
 * sessions. Without a client's agent it keeps connections of its own, ended by close().
 */
export class LogikalHttp {
  /** Set after login; sent as `Authorization: Bearer`. */
  token: string | undefined;
  readonly jar: CookieJar = new CookieJar();
  private readonly agent: http.Agent;

  constructor(
    private readonly opts: TransportOptions,
    private readonly extraSecrets: () => readonly string[] = () => [],
  ) {
    this.agent = opts.agent ?? keepAliveAgent(opts.baseUrl);
  }

  get options(): TransportOptions {
    return this.opts;
  }

  /** Ends the connections of its own (after its logout); the client's shared ones stay. */
  close(): void {
    if (this.agent !== this.opts.agent) this.agent.destroy();
  }

  private secrets(): string[] {
    return [this.token ?? '', ...this.extraSecrets()];
  }

  /** One call under the client's policy (timeout, circuit breaker, `spec.retry`); errors are always LogikalErrors. */
  async call(spec: CallSpec): Promise<CallResult> {
    const operation = operationOf(spec);
    const timeoutMs = spec.timeoutMs ?? this.opts.callTimeoutMs;
    try {
      return await this.opts.policy.call(operation, spec.retry ?? 'none', timeoutMs, (signal) => this.once(spec, signal, timeoutMs));
    } catch (err) {
      throw err instanceof LogikalError ? err : new LogikalError('unexpected client failure', { operation });
    }
  }

  /** One attempt; the policy's timeout aborts `signal` (and has already failed the call by then). */
  private async once(spec: CallSpec, attemptSignal: AbortSignal, timeoutMs: number): Promise<CallResult> {
    const operation = operationOf(spec);
    // Logouts still go out at shutdown: a session left open holds a licence seat. A login in
    // flight is let finish too (then logged out by its holder): aborted, its seat could leak.
    const stop = spec.method === 'DELETE' || spec.isLogin ? undefined : this.opts.stop;
    if (stop?.aborted) throw new LogikalShutdownError(operation);
    const signal = stop ? AbortSignal.any([attemptSignal, stop]) : attemptSignal;
    const url = joinUrl(this.opts.baseUrl, spec.segments, spec.query);
    const maxBytes = spec.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const started = Date.now();
    let status: number | undefined;
    try {
      let res: AxiosResponse<Readable>;
      try {
        res = await this.send(spec, url, signal);
      } catch (err) {
        throw this.transportError(err, operation, timeoutMs);
      }
      status = res.status;
      const body = await readCapped(res.data, maxBytes, signal, res.headers['content-length'], operation).catch((err: unknown) => {
        throw this.transportError(err, operation, timeoutMs);
      });
      const contentType = String(res.headers['content-type'] ?? '');
      if (status < 200 || status >= 300) {
        throw classifyHttpError({
          status,
          body,
          operation,
          isLogin: spec.isLogin === true,
          secrets: this.secrets(),
          retryAfterMs: parseRetryAfter(res.headers['retry-after'], this.opts.policy.maxWaitMs),
        });
      }
      return { status, contentType, body };
    } finally {
      const ms = Date.now() - started;
      log.debug('logikal call', { method: spec.method, path: operation.slice(spec.method.length + 1), status: status ?? 'none', ms });
      this.opts.onRequest?.({
        method: spec.method,
        endpoint: endpointTemplate(spec.segments),
        status: status ?? 'error',
        seconds: ms / 1000,
      });
    }
  }

  /**
   * Sends the request through axios (cookies of the jar, the token, a JSON body) and resolves with
   * the response head and its decompressed body stream; redirects are not followed, and no status
   * is an axios error (the status is classified by us).
   */
  private async send(spec: CallSpec, url: string, signal: AbortSignal): Promise<AxiosResponse<Readable>> {
    const headers: Record<string, string> = {
      Accept: spec.accept ?? 'application/json',
      'Accept-Encoding': 'gzip, deflate, br',
    };
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.Cookie = cookie;
    // A login goes on a connection of its own: on a kept-alive one the server may just have closed,
    // its failure would read as a lost reply (a seat we may hold). GETs and logouts, which may be
    // repeated, go once more on a new connection when a kept-alive one turns out closed.
    const retryable = spec.method !== 'POST';
    const agent = spec.isLogin ? oneConnectionAgent(url) : this.agent;
    const attempt = (again: boolean): Promise<AxiosResponse<Readable>> =>
      axios
        .request<Readable>({
          url,
          method: spec.method,
          headers,
          data: spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body)),
          httpAgent: agent,
          httpsAgent: agent,
          proxy: false,
          maxRedirects: 0,
          decompress: true,
          responseType: 'stream',
          maxContentLength: -1,
          maxBodyLength: -1,
          validateStatus: () => true,
          signal,
        })
        .catch((err: unknown) => {
          if (again && retryable && onClosedKeptAliveSocket(err) && !signal.aborted) return attempt(false);
          throw err;
        });
    const res = await attempt(true);
    const setCookie: unknown = res.headers['set-cookie'];
    if (Array.isArray(setCookie)) for (const c of setCookie) await this.jar.setCookie(String(c), url, { ignoreError: true });
    return res;
  }

  private transportError(err: unknown, operation: string, timeoutMs: number): LogikalError {
    if (err instanceof LogikalError) return err;
    if (this.opts.stop?.aborted && !operation.startsWith('DELETE') && !operation.startsWith('POST /auth'))
      return new LogikalShutdownError(operation);
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      return new LogikalTimeoutError(`Logikal ${operation} timed out after ${timeoutMs} ms`, { operation, replyLost: true });
    }
    // Anything else below HTTP (reset, refused, cut off mid-body) is a connection failure; the
    // message names only the code, never axios' message (which may quote the URL). Only a
    // connection that was never made proves the request did not arrive.
    const replyLost = !NEVER_CONNECTED.has(code);
    return new LogikalConnectionError(`Logikal ${operation} connection failed${code ? ` (${code})` : ''}`, { operation, replyLost });
  }
}

/** Socket errors that mean no connection was made, so nothing was sent. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** The MBIOE path words; any other segment is an identifier (a GUID), shown as {id} so metric labels stay few. */
const PATH_WORDS = new Set([
  'auth',
  'version',
  'directories',
  'projects',
  'phases',
  'elevations',
  'selected',
  'select',
  'thumbnail',
  'parts-list',
  'quotation-price',
]);

export function endpointTemplate(segments: readonly string[]): string {
  return '/' + segments.map((s) => (PATH_WORDS.has(s) ? s : '{id}')).join('/');
}

function operationOf(spec: CallSpec): string {
  return `${spec.method} /${spec.segments.join('/')}`;
}

/** Keep-alive connections to LogiKal; idle ones do not hold the process open (Node unrefs them). */
export function keepAliveAgent(baseUrl: string): http.Agent {
  return baseUrl.startsWith('https:') ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
}

/** A login's own connection, closed after its reply (see send()). */
function oneConnectionAgent(url: string): http.Agent {
  return url.startsWith('https:') ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
}

/** A request that failed because the kept-alive connection it was sent on had been closed by the server (axios keeps Node's request as `.request`). */
function onClosedKeptAliveSocket(err: unknown): boolean {
  if (!axios.isAxiosError(err)) return false;
  const request = err.request as { reusedSocket?: boolean } | undefined;
  return request?.reusedSocket === true && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
}

/** Reads a response stream fully, refusing more than maxBytes (checked against Content-Length first). */
function readCapped(stream: Readable, maxBytes: number, signal: AbortSignal, contentLength: unknown, operation: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const declared = Number(contentLength);
    if (Number.isFinite(declared) && declared > maxBytes) {
      stream.destroy();
      reject(
        new LogikalProtocolError(`Logikal ${operation}: response of ${declared} bytes exceeds the cap of ${maxBytes} bytes`, { operation }),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      if (err !== undefined) reject(err);
      else resolve(Buffer.concat(chunks, total));
    };
    const onAbort = (): void => {
      stream.destroy();
      finish(new Error('aborted by the call timeout'));
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort);
    stream.on('data', (chunk: Buffer | string) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += b.length;
      if (total > maxBytes) {
        stream.destroy();
        finish(new LogikalProtocolError(`Logikal ${operation}: response exceeds the cap of ${maxBytes} bytes`, { operation }));
        return;
      }
      chunks.push(b);
    });
    stream.on('end', () => finish());
    stream.on('error', (err) => finish(err));
    stream.on('close', () => finish(Object.assign(new Error('premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })));
  });
}

/** Parses a JSON body; a 2xx that is not JSON is a protocol error. Empty body → undefined. */
export function parseJsonBody(res: CallResult, operation: string): unknown {
  const text = res.body.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new LogikalProtocolError(`Logikal ${operation} returned a body that is not JSON (${res.body.length} bytes)`, {
      operation,
      status: res.status,
    });
  }
}
