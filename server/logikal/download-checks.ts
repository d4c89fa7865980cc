import { LogikalInvalidArgumentError, LogikalProtocolError } from './logikal-errors';
import { THUMBNAIL_DEFAULTS } from './logikal-types';
import type { ThumbnailOptions } from './logikal-types';

/** MW used 10 MiB for parts lists; real files are 0.7–1.7 MB. */
export const MAX_DECODED_BYTES = 10 * 1024 * 1024;

export const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

/** Size the base64 text decodes to (exact for canonical padded base64). */
export function decodedBase64Length(b64: string): number {
  let pad = 0;
  if (b64.endsWith('==')) pad = 2;
  else if (b64.endsWith('=')) pad = 1;
  return (b64.length / 4) * 3 - pad;
}

/**
 * Strict base64 → Buffer. Node's Buffer.from(s, 'base64') silently skips invalid characters and
 * whitespace, stops at an early '=', and reads the base64url alphabet, so a truncated or mangled
 * download would decode "fine". Everything is checked: the length first, the size cap before the
 * decoded buffer is allocated, then base64url characters, and a decode that came out short means
 * a character outside the alphabet (found and named only then: no per-character scan on success).
 */
export function decodeBase64Strict(b64: string, maxBytes: number = MAX_DECODED_BYTES, what = 'payload'): Buffer {
  if (typeof b64 !== 'string') throw new LogikalProtocolError(`${what}: expected a base64 string`);
  if (b64.length === 0) throw new LogikalProtocolError(`${what}: empty base64 payload`);
  if (b64.length % 4 !== 0) throw new LogikalProtocolError(`${what}: base64 length ${b64.length} is not a multiple of 4 (truncated?)`);
  const size = decodedBase64Length(b64);
  if (size > maxBytes) throw new LogikalProtocolError(`${what}: decoded size ${size} bytes exceeds the cap of ${maxBytes} bytes`);
  const dash = b64.indexOf('-');
  const underscore = b64.indexOf('_');
  if (dash >= 0 || underscore >= 0) throw invalidBase64(what, b64, Math.min(...[dash, underscore].filter((i) => i >= 0)));
  const out = Buffer.from(b64, 'base64');
  if (out.length !== size) throw invalidBase64(what, b64);
  return out;
}

/** The error for base64 text that is not strict base64, naming the first offending character (at `at`, or found here). */
export function invalidBase64(what: string, b64: string, at?: number): LogikalProtocolError {
  let end = b64.length;
  if (b64.charCodeAt(end - 1) === 0x3d) end--;
  if (b64.charCodeAt(end - 1) === 0x3d) end--;
  const bad = at ?? b64.slice(0, end).search(/[^A-Za-z0-9+/]/);
  if (bad < 0) return new LogikalProtocolError(`${what}: invalid base64 (decoded to fewer bytes than its length promises)`);
  const code = b64.charCodeAt(bad);
  const shown = code === 0x3d ? "'=' before the end" : `character code ${code}`;
  return new LogikalProtocolError(`${what}: invalid base64 (${shown} at offset ${bad})`);
}

export function hasSqliteMagic(buf: Buffer): boolean {
  return buf.length >= SQLITE_MAGIC.length && buf.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC);
}

export function assertSqliteFile(buf: Buffer, what = 'parts list'): void {
  if (buf.length === 0) throw new LogikalProtocolError(`${what}: file is empty`);
  if (!hasSqliteMagic(buf)) throw new LogikalProtocolError(`${what}: not a SQLite database (magic header missing)`);
  // 100-byte header: a file shorter than one header cannot be a database.
  if (buf.length < 100) throw new LogikalProtocolError(`${what}: truncated SQLite file (${buf.length} bytes)`);
}

/** Decodes a parts-list `data` string: strict base64, size cap, SQLite magic. */
export function decodePartsList(b64: unknown, maxBytes: number = MAX_DECODED_BYTES): Buffer {
  if (b64 === undefined || b64 === null || b64 === '') throw new LogikalProtocolError('parts list: response has no data');
  if (typeof b64 !== 'string')
    throw new LogikalProtocolError(`parts list: data is ${Array.isArray(b64) ? 'an array' : typeof b64}, expected a base64 string`);
  const buf = decodeBase64Strict(b64, maxBytes, 'parts list');
  assertSqliteFile(buf);
  return buf;
}

/**
 * PNG signature plus a well-formed chunk walk ending in IEND; a cut-off transfer loses IEND.
 * Chunk CRCs are not verified (not worth the cost for thumbnails).
 */
export function assertPng(buf: Buffer, maxBytes: number = MAX_DECODED_BYTES, what = 'thumbnail'): void {
  if (buf.length > maxBytes) throw new LogikalProtocolError(`${what}: ${buf.length} bytes exceeds the cap of ${maxBytes} bytes`);
  if (buf.length < PNG_SIGNATURE.length || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw new LogikalProtocolError(`${what}: not a PNG (signature missing)`);
  }
  let off = 8;
  let first = true;
  while (off + 12 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (first && type !== 'IHDR') throw new LogikalProtocolError(`${what}: PNG does not start with IHDR`);
    first = false;
    if (off + 12 + len > buf.length) break;
    if (type === 'IEND') return;
    off += 12 + len;
  }
  throw new LogikalProtocolError(`${what}: PNG is truncated (no IEND chunk)`);
}

export function assertJpeg(buf: Buffer, maxBytes: number = MAX_DECODED_BYTES, what = 'thumbnail'): void {
  if (buf.length > maxBytes) throw new LogikalProtocolError(`${what}: ${buf.length} bytes exceeds the cap of ${maxBytes} bytes`);
  if (buf.length < 4 || !buf.subarray(0, 3).equals(JPEG_MAGIC)) throw new LogikalProtocolError(`${what}: not a JPEG (magic missing)`);
  if (!(buf[buf.length - 2] === 0xff && buf[buf.length - 1] === 0xd9))
    throw new LogikalProtocolError(`${what}: JPEG is truncated (no EOI marker)`);
}

/** Thumbnail options with the defaults filled in, checked locally, as query-string values. */
export function thumbnailQuery(options: ThumbnailOptions): Record<keyof ThumbnailOptions, string> {
  const o = { ...THUMBNAIL_DEFAULTS, ...options };
  for (const [k, v] of [
    ['width', o.width],
    ['height', o.height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 4096)
      throw new LogikalInvalidArgumentError(`thumbnail ${k} must be an integer 1..4096`, { local: true });
  }
  if (!['PNG', 'JPG', 'EMF'].includes(o.format))
    throw new LogikalInvalidArgumentError('thumbnail format must be PNG, JPG or EMF', { local: true });
  if (!['Interior', 'Exterior'].includes(o.view))
    throw new LogikalInvalidArgumentError('thumbnail view must be Interior or Exterior', { local: true });
  return {
    width: String(o.width),
    height: String(o.height),
    format: o.format,
    view: o.view,
    withdimensions: String(o.withdimensions),
    withdescription: String(o.withdescription),
  };
}

/**
 * Sniffs a thumbnail answer: neither the requested format nor the Content-Type is trusted. PNG and
 * JPEG must be complete; anything else passes only as a non-empty answer to an EMF request.
 */
export function assertThumbnail(res: { status: number; body: Buffer }, requestedFormat: string): void {
  if (res.body.subarray(0, 4).equals(PNG_SIGNATURE.subarray(0, 4))) assertPng(res.body);
  else if (res.body[0] === 0xff && res.body[1] === 0xd8) assertJpeg(res.body);
  else if (requestedFormat !== 'EMF' || res.body.length === 0) {
    throw new LogikalProtocolError(`thumbnail: answer is neither PNG nor JPEG (${res.body.length} bytes)`, {
      operation: 'GET /elevations/{id}/thumbnail',
      status: res.status,
    });
  }
}
