import type { IncomingMessage, ServerResponse } from 'node:http';

/** Texts copied verbatim from the swagger (v12.2.6.59) so clients can be tested against them. */
export const MSG = {
  invalidSession: 'Invalid session authentication identifier.',
  badCredentials: 'Authentication failed. Invalid username or password.',
  badRequest: 'The request is in an invalid format or is missing required properties.',
  badRequestObject: "The request is in an invalid format, is missing required properties or can't be performed on the requested object.",
  notFound: 'The requested resource could not be selected because it was not found.',
  expectsDirectory: 'This operation expects the session to be in a directory.',
  expectsProject: 'This operation expects the session to be in a project.',
  expectsPhase: 'This operation expects the session to be in a phase.',
  expectsElevation: 'This operation expects the session to be in an elevation.',
  // Emulator inventions (the real texts are unknown): keep them recognisable.
  serverError: 'An internal error occurred in the MBIOE service (emulated fault).',
  unknownEndpoint: 'Endpoint not found.',
  methodNotAllowed: 'Method not allowed.',
} as const;

/** The 409 text observed on the real server, with the identifier echoed back. */
export function mappingConflict(identifier: string): string {
  return `The requested resource '${identifier}' cannot be set, because it isn't valid in the current mapping.`;
}

/** IIS's page for a stopped application pool: what a LogiKal that is down answers, as HTML. */
export const UNAVAILABLE_PAGE = '<h1>Service Unavailable</h1><p>HTTP Error 503. The service is unavailable.</p>';

export function licenceLimit(max: number): string {
  return `The licence limit of ${max} concurrent sessions has been reached.`;
}

/** A failure a handler wants turned into the swagger ErrorResponseSchema. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface JsonReply {
  kind: 'json';
  status: number;
  body: unknown;
}
export interface BinaryReply {
  kind: 'binary';
  status: number;
  body: Buffer;
  contentType: string;
}
export type Reply = JsonReply | BinaryReply;

export function ok(data?: unknown): JsonReply {
  const body = data === undefined ? { hints: [], warnings: [] } : { data, hints: [], warnings: [] };
  return { kind: 'json', status: 200, body };
}

/** The 200 body a listing fault sends instead of the listing (see ListingFault). */
export function listingFaultReply(kind: 'emptyBody' | 'emptyObject' | 'nullData' | 'emptyList'): Reply {
  if (kind === 'emptyBody') return { kind: 'binary', status: 200, body: Buffer.alloc(0), contentType: 'application/json; charset=utf-8' };
  if (kind === 'emptyObject') return { kind: 'json', status: 200, body: {} };
  return { kind: 'json', status: 200, body: { data: kind === 'nullData' ? null : [], hints: [], warnings: [] } };
}

export function errorReply(status: number, message: string): JsonReply {
  return { kind: 'json', status, body: { message, code: status, hints: [], warnings: [], errors: [message] } };
}

/** Serialises a reply once so the cut-off fault can send exactly half of the real bytes. */
export function encodeReply(reply: Reply): { status: number; headers: Record<string, string>; body: Buffer } {
  if (reply.kind === 'binary') {
    return {
      status: reply.status,
      headers: { 'content-type': reply.contentType, 'content-length': String(reply.body.length) },
      body: reply.body,
    };
  }
  const body = Buffer.from(JSON.stringify(reply.body), 'utf8');
  return {
    status: reply.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) },
    body,
  };
}

export function sendReply(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const enc = encodeReply(reply);
  res.writeHead(enc.status, enc.headers);
  res.end(enc.body);
}

/** Writes headers and the first half of the body, then kills the socket: a truncated transfer. */
export function sendCutOff(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const enc = encodeReply(reply);
  res.writeHead(enc.status, enc.headers);
  const half = enc.body.subarray(0, Math.floor(enc.body.length / 2));
  res.write(half, () => res.destroy());
}

const MAX_BODY = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw new ApiError(400, MSG.badRequest);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON object body; anything else (empty, invalid JSON, array, scalar) is a 400. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApiError(400, MSG.badRequest);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ApiError(400, MSG.badRequest);
  return value as Record<string, unknown>;
}

/** The real server tolerated `//` (the predecessor sent `…/api/v3//elevations/…`); so do we. */
export function normalisePath(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed;
}

export { isGuid } from '../server/guid';

/** Accepts `Bearer <token>` and, as the swagger's apiKey header allows, a bare token. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^\s*(?:bearer\s+)?(\S+)\s*$/i.exec(header);
  return m ? m[1].toLowerCase() : undefined;
}
