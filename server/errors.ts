/**
 * One error hierarchy for the whole bridge. Services throw these; rpc/wire-errors.ts is the one
 * place that turns them into JSON-RPC / XML-RPC / JSON-2 answers. Anything else thrown is an
 * internal error: logged with the request id, answered generically.
 */
export type OdooErrorName =
  | 'odoo.exceptions.UserError'
  | 'odoo.exceptions.ValidationError'
  | 'odoo.exceptions.AccessDenied'
  | 'odoo.exceptions.AccessError'
  | 'odoo.exceptions.MissingError'
  | 'builtins.ValueError'
  | 'builtins.TypeError'
  | 'werkzeug.exceptions.NotFound'
  | 'odoo.http.SessionExpiredException';

export abstract class BridgeError extends Error {
  /** JSON-RPC error code. */
  abstract readonly code: number;
  /** The exception name Odoo code sees in error.data.name. */
  abstract readonly odooName: OdooErrorName;
  /** HTTP status for transports that use one (JSON-2). */
  readonly httpStatus: number = 400;
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** -32602: a param is missing, unknown or of the wrong type. */
export class InvalidParamsError extends BridgeError {
  readonly code = -32602;
  readonly odooName = 'builtins.TypeError' as const;
}

/** Unknown method or service. */
export class MethodNotFoundError extends BridgeError {
  readonly code = -32601;
  readonly odooName = 'werkzeug.exceptions.NotFound' as const;
  override readonly httpStatus = 404;
}

/** No key, a wrong key, or a key without the method's scope. */
export class AccessDeniedError extends BridgeError {
  readonly code = -32001;
  readonly odooName = 'odoo.exceptions.AccessDenied' as const;
  override readonly httpStatus = 401;
}

/** The caller may not do this (e.g. write methods on read-only models). */
export class AccessError extends BridgeError {
  readonly code = -32002;
  readonly odooName = 'odoo.exceptions.AccessError' as const;
  override readonly httpStatus = 403;
}

/** A project, run or record that does not exist. */
export class NotFoundError extends BridgeError {
  readonly code = -32004;
  readonly odooName = 'odoo.exceptions.MissingError' as const;
  override readonly httpStatus = 404;
}

/** An error a user should read and can act on. */
export class UserError extends BridgeError {
  readonly code = -32010;
  readonly odooName = 'odoo.exceptions.UserError' as const;
  override readonly httpStatus = 422;
}

/** A value Odoo's ORM would reject (bad domain, unknown field, bad order). */
export class ValueError extends BridgeError {
  readonly code = -32602;
  readonly odooName = 'builtins.ValueError' as const;
}

/** Would violate a rule of the data (e.g. duplicates blocking a unique constraint). */
export class ValidationError extends BridgeError {
  readonly code = -32011;
  readonly odooName = 'odoo.exceptions.ValidationError' as const;
  override readonly httpStatus = 409;
}

/** Logikal could not be reached or refused us; the message is safe to show. */
export class UpstreamError extends BridgeError {
  readonly code = -32020;
  readonly odooName = 'odoo.exceptions.UserError' as const;
  override readonly httpStatus = 502;
}

/** The service is not ready (database down, migrations pending). */
export class ServiceUnavailableError extends BridgeError {
  readonly code = -32030;
  readonly odooName = 'odoo.exceptions.UserError' as const;
  override readonly httpStatus = 503;
}

/** Odoo's web-session routes without a live session cookie (never signed in, expired, signed out, key revoked). */
export class SessionExpiredError extends BridgeError {
  readonly code = 100;
  readonly odooName = 'odoo.http.SessionExpiredException' as const;
  override readonly httpStatus = 401;
}

/** An answer would exceed RESPONSE_MAX_BYTES: refused before it is built (server/response-budget.ts). */
export class ResponseTooLargeError extends UserError {}
