import { UpstreamError } from '../errors';

/**
 * Every failure of the Logikal client is one of these. They extend UpstreamError so the RPC layer
 * answers them with a safe message without knowing about Logikal.
 *
 * Classification is by HTTP status plus the structured error body ({ message, code, errors[] }),
 * never by searching the stringified error: a GUID, a directory name or a URL can contain "502"
 * or "licence", which is exactly how the predecessor mis-classified errors.
 *
 * Messages must stay safe: no token, no password, no query strings. {@link scrubSecrets} is applied
 * to any server-provided text before it goes into a message.
 */
export interface LogikalErrorInfo {
  /** "METHOD /path" of the call (path without query string). */
  operation?: string;
  /** HTTP status, if a response arrived. */
  status?: number;
  /** `code` from the Logikal error body, if any. */
  logikalCode?: number;
  /** True when the client refused locally without calling the server. */
  local?: boolean;
  /** Retry-After in ms (already capped), for 429/503. */
  retryAfterMs?: number;
  /**
   * The request may have reached Logikal but no complete reply came back (timeout, reset, cut off):
   * whatever it did, we never saw it — after a login, a session (a seat) we hold no token for.
   */
  replyLost?: boolean;
}

export class LogikalError extends UpstreamError {
  /** A later attempt (same call for GETs, fresh session otherwise) may succeed. */
  readonly transient: boolean = false;
  readonly operation: string | undefined;
  readonly status: number | undefined;
  readonly logikalCode: number | undefined;
  readonly local: boolean;
  readonly retryAfterMs: number | undefined;
  readonly replyLost: boolean;
  constructor(message: string, info: LogikalErrorInfo = {}) {
    super(message, { operation: info.operation, status: info.status, logikalCode: info.logikalCode });
    this.operation = info.operation;
    this.status = info.status;
    this.logikalCode = info.logikalCode;
    this.local = info.local ?? false;
    this.retryAfterMs = info.retryAfterMs;
    this.replyLost = info.replyLost ?? false;
  }
}

/** 400 or 401 on POST /auth: wrong username or password, or a login LogiKal cannot read. Never retried (account lockout risk). */
export class LogikalAuthFailedError extends LogikalError {}

/** 401 on any other call: the token is unknown or expired. The unit is replayed with a new login. */
export class LogikalSessionLostError extends LogikalError {}

/** 405: the call does not fit the session's state (also thrown locally before calling). */
export class LogikalWrongStateError extends LogikalError {}

/** 409 "… isn't valid in the current mapping": select of something that is not a child of the current context. */
export class LogikalNotInMappingError extends LogikalError {}

/** 409 otherwise: locked / in use by another user / resource state. Postpone, do not mark anything gone. */
export class LogikalLockedError extends LogikalError {}

/** 404: the resource to select was not found. */
export class LogikalNotFoundError extends LogikalError {}

/**
 * Login refused for "no seat now": the licence/session cap, whatever status LogiKal uses for it (the
 * real one is unknown: 403, 409, 429, or a licence message with any status). The pool backs off and
 * tries again; it is not a fault (Logikal answered).
 */
export class LogikalLicenceExhaustedError extends LogikalError {
  override readonly transient = true;
}

/** 5xx from Logikal. */
export class LogikalServerError extends LogikalError {
  override readonly transient = true;
}

/** No complete answer within the per-call timeout. */
export class LogikalTimeoutError extends LogikalError {
  override readonly transient = true;
}

/** Connection refused / reset / cut off before a complete response. */
export class LogikalConnectionError extends LogikalError {
  override readonly transient = true;
}

/**
 * Refused locally (`local`): Logikal is taken for unreachable — the client's circuit breaker is open
 * because calls kept failing transiently, or logins are shut because Logikal did not answer the last
 * few logins and probes. Not retried and not replayed; the first call after the cool-down probes again.
 */
export class LogikalCircuitOpenError extends LogikalError {
  override readonly transient = true;
}

/**
 * Refused locally (`local`) because the bridge is shutting down: in-flight calls were aborted and no
 * new session starts. Not transient: nothing retries or replays it.
 */
export class LogikalShutdownError extends LogikalError {
  constructor(operation?: string) {
    super('Logikal work stopped: the bridge is shutting down', { local: true, operation });
  }
}

/**
 * A sideways select (sibling phase or elevation) that LogiKal does not allow: refused locally when
 * that is known (`local`), or LogiKal just refused it (409) or showed it did not take (405 after
 * it). The capability is then recorded as refused; the caller does the unit on a fresh session.
 */
export class LogikalSidewaysRefusedError extends LogikalError {}

/** The answer arrived but is unusable: bad JSON, bad base64, wrong magic bytes, oversize. */
export class LogikalProtocolError extends LogikalError {}

/** The caller passed something we refuse to send (e.g. an id that is not a GUID). */
export class LogikalInvalidArgumentError extends LogikalError {}

/**
 * A fault of Logikal or of the way to it (5xx, timeout, connection) that the same call may get past:
 * what is retried in place (idempotent calls only) and what the circuit breaker counts. Licence
 * refusals are not faults (the pool waits for a seat); local refusals never reached the server.
 */
export function isTransientFault(err: unknown): err is LogikalError {
  return err instanceof LogikalError && err.transient && !err.local && !(err instanceof LogikalLicenceExhaustedError);
}

/**
 * Why a unit of work (session walk + fetch) may be replayed on a fresh session: the server lost the
 * session or its position (401, a server 405) → 'context'; a transient fault → 'transient'.
 */
export function replayKind(err: unknown): 'context' | 'transient' | undefined {
  if (err instanceof LogikalError && !err.local && (err instanceof LogikalSessionLostError || err instanceof LogikalWrongStateError))
    return 'context';
  return isTransientFault(err) ? 'transient' : undefined;
}

/** The structured error body of Logikal (swagger ErrorResponseSchema). */
export interface LogikalErrorBody {
  message?: string;
  code?: number;
  errors?: string[];
}

/** Reads the error envelope; anything that is not that shape yields {}. */
export function parseErrorBody(body: unknown): LogikalErrorBody {
  let value = body;
  if (Buffer.isBuffer(value)) value = value.toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return {};
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const o = value as Record<string, unknown>;
  const out: LogikalErrorBody = {};
  if (typeof o.message === 'string') out.message = o.message;
  if (typeof o.code === 'number' && Number.isFinite(o.code)) out.code = o.code;
  if (Array.isArray(o.errors)) out.errors = o.errors.filter((e): e is string => typeof e === 'string');
  return out;
}

/** The one human-readable reason the server gave: errors[0], else message. */
export function primaryReason(body: LogikalErrorBody): string | undefined {
  const first = body.errors?.[0];
  if (first !== undefined && first.trim() !== '') return first;
  return body.message !== undefined && body.message.trim() !== '' ? body.message : undefined;
}

/**
 * The observed 409 text is `The requested resource '<id>' cannot be set, because it isn't valid in
 * the current mapping.` The swagger's generic 409 ("locked, in use by another user …") has the same
 * status and no distinct code, so the text is the only discriminator. We look only at the primary
 * reason field and anchor the whole template: the identifier inside the quotes is user data (a
 * directory name) and must not be able to turn a lock into a mapping error or vice versa.
 */
const MAPPING_TEMPLATE = /^The requested resource '[\s\S]*' cannot be set, because it isn't valid in the current mapping\.?$/;

export function isMappingReason(reason: string | undefined): boolean {
  return reason !== undefined && MAPPING_TEMPLATE.test(reason.trim());
}

/**
 * Licence refusal on login is undocumented. The emulator answers 403
 * `The licence limit of N concurrent sessions has been reached.` by default; a real server might
 * use any status and word it any way (LogiKal is German: "Lizenz"). Only the primary reason field
 * is inspected, and only on POST /auth.
 */
const LICENCE_REASON =
  /\blicen[cs]|\blizenz|\bseats?\b|\bconcurrent (sessions?|users?)\b|\bsession (limit|count)\b|\btoo many (sessions|users|logins)\b|\bmaximum number of (sessions|users)\b/i;

export function isLicenceReason(reason: string | undefined): boolean {
  return reason !== undefined && LICENCE_REASON.test(reason);
}

/** Replaces each secret by [REDACTED] and bounds the length; used on all server text in messages. */
export function scrubSecrets(text: string, secrets: ReadonlyArray<string | undefined>, max = 300): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[REDACTED]');
  // Tokens we never saw (e.g. a server echoing a Bearer header) still must not leak.
  out = out.replace(/Bearer\s+\S+/gi, 'Bearer [REDACTED]');
  return out.length > max ? out.slice(0, max) + '…' : out;
}

/**
 * Maps a non-2xx answer to the hierarchy. `isLogin` is true for POST /auth, where:
 * - 400/401 are credential errors, never retried (a retry could lock the account);
 * - 403, 409, 429 and any licence wording mean "no seat now" (LogikalLicenceExhaustedError);
 * - a 503 without a licence reason stays a server error: LogiKal being down answers the same, so
 *   the session pool asks GET /version which of the two it is.
 */
export function classifyHttpError(opts: {
  status: number;
  body: unknown;
  operation: string;
  isLogin: boolean;
  secrets: ReadonlyArray<string | undefined>;
  retryAfterMs?: number;
}): LogikalError {
  const { status, operation, isLogin } = opts;
  const parsed = parseErrorBody(opts.body);
  const reason = primaryReason(parsed);
  const safeReason = reason === undefined ? '' : ': ' + scrubSecrets(reason, opts.secrets);
  const info: LogikalErrorInfo = { operation, status, logikalCode: parsed.code, retryAfterMs: opts.retryAfterMs };
  const msg = `Logikal ${operation} failed with ${status}${safeReason}`;

  if (isLogin) {
    if (status === 401) return new LogikalAuthFailedError(`Logikal login refused (401): invalid username or password`, info);
    if (status === 400) return new LogikalAuthFailedError(`Logikal login refused (400)${safeReason}`, info);
    if (status === 403 || status === 409 || status === 429 || isLicenceReason(reason)) return new LogikalLicenceExhaustedError(msg, info);
  }
  switch (status) {
    case 401:
      return new LogikalSessionLostError(msg, info);
    case 404:
      return new LogikalNotFoundError(msg, info);
    case 405:
      return new LogikalWrongStateError(msg, info);
    case 409:
      return isMappingReason(reason) ? new LogikalNotInMappingError(msg, info) : new LogikalLockedError(msg, info);
  }
  if (status >= 500) return new LogikalServerError(msg, info);
  return new LogikalError(msg, info);
}
