import { createHash } from 'node:crypto';
import { assertSqliteFile, decodePartsList, invalidBase64, MAX_DECODED_BYTES } from './download-checks';
import { LogikalProtocolError } from './logikal-errors';
import { unwrapData } from './logikal-types';

/** A downloaded parts list: the checked SQLite file and its sha256 (hex), computed while it was decoded. */
export interface PartsListDownload {
  bytes: Buffer;
  sha256: string;
}

/** Base64 characters decoded per step: a multiple of 4, small enough to stay in cache for the hash. */
const CHUNK = 64 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Reads the answer of GET /elevations/selected/parts-list, `{"data": "<base64 of a SQLite file>", …}`,
 * straight from the response bytes: the 1–2 MB base64 string is neither turned into a JS string as a
 * whole nor parsed as JSON nor matched by a regular expression. Its envelope (everything but the
 * string's contents) is still parsed as JSON, the base64 is as strict as {@link decodeBase64Strict},
 * and the file is hashed chunk by chunk as it is decoded. An envelope of another shape (escaped
 * characters in the string, `data` not a string) goes the plain way: JSON.parse and strict decode.
 */
export function readPartsListBody(body: Buffer, maxBytes: number = MAX_DECODED_BYTES): PartsListDownload {
  const range = dataString(body);
  if (range) {
    const envelope = parseJson(Buffer.concat([body.subarray(0, range.start), body.subarray(range.end)]));
    // The envelope as JSON.parse reads it must name this very string as its data (a second "data" key wins in JSON.parse).
    if (envelope !== null && typeof envelope === 'object' && !Array.isArray(envelope) && (envelope as { data?: unknown }).data === '') {
      if (range.end === range.start) throw new LogikalProtocolError('parts list: response has no data');
      const download = decodeBase64Range(body, range.start, range.end, maxBytes);
      assertSqliteFile(download.bytes);
      return download;
    }
  }
  const bytes = decodePartsList(unwrapData(parseJson(body)), maxBytes);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new LogikalProtocolError(`Logikal GET /elevations/selected/parts-list returned a body that is not JSON (${body.length} bytes)`);
  }
}

/**
 * Strict base64 of body[start, end) → bytes and their sha256, decoded and hashed in chunks. Node's
 * decoder skips characters outside the alphabet and stops at an early '=', so any of them makes a
 * chunk decode short, which is checked per chunk; it also reads the base64url characters '-' and
 * '_', which are refused first.
 */
export function decodeBase64Range(body: Buffer, start: number, end: number, maxBytes: number = MAX_DECODED_BYTES): PartsListDownload {
  const what = 'parts list';
  const length = end - start;
  if (length % 4 !== 0) throw new LogikalProtocolError(`${what}: base64 length ${length} is not a multiple of 4 (truncated?)`);
  let pad = 0;
  if (body[end - 1] === 0x3d) pad++;
  if (body[end - 2] === 0x3d) pad++;
  const size = (length / 4) * 3 - pad;
  if (size > maxBytes) throw new LogikalProtocolError(`${what}: decoded size ${size} bytes exceeds the cap of ${maxBytes} bytes`);
  const urlSafe = firstOf(body, start, end, [0x2d, 0x5f]);
  if (urlSafe >= 0) throw invalidBase64(what, body.toString('latin1', start, end), urlSafe - start);
  const out = Buffer.allocUnsafe(size);
  const hash = createHash('sha256');
  let written = 0;
  for (let p = start; p < end; p += CHUNK) {
    const q = Math.min(end, p + CHUNK);
    const text = body.toString('latin1', p, q);
    const expected = ((q - p) / 4) * 3 - (q === end ? pad : 0);
    const n = expected > 0 ? out.write(text, written, expected, 'base64') : 0;
    if (n !== expected) throw invalidBase64(what, body.toString('latin1', start, end));
    hash.update(out.subarray(written, written + n));
    written += n;
  }
  return { bytes: out, sha256: hash.digest('hex') };
}

/** The first index in [start, end) holding one of `bytes`, or -1. */
function firstOf(body: Buffer, start: number, end: number, bytes: number[]): number {
  let first = -1;
  for (const b of bytes) {
    const i = body.indexOf(b, start);
    if (i >= 0 && i < end && (first < 0 || i < first)) first = i;
  }
  return first;
}

/**
 * Where the top-level `"data"` string's contents lie in a JSON object (start = after its opening
 * quote, end = its closing quote), when they hold no escape; undefined for anything else. A small
 * lexer walks the object's keys and skips the other values, so a `"data"` inside another string or
 * a nested object is never taken for it.
 */
function dataString(b: Buffer): { start: number; end: number } | undefined {
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  i = skipWs(b, i);
  if (b[i] !== 0x7b) return undefined;
  i = skipWs(b, i + 1);
  while (b[i] === QUOTE) {
    const keyEnd = stringEnd(b, i);
    if (keyEnd < 0) return undefined;
    const key = b.toString('utf8', i + 1, keyEnd);
    i = skipWs(b, keyEnd + 1);
    if (b[i] !== 0x3a) return undefined;
    i = skipWs(b, i + 1);
    if (key === 'data') {
      if (b[i] !== QUOTE) return undefined;
      const end = stringEnd(b, i);
      if (end < 0) return undefined;
      const escape = b.indexOf(BACKSLASH, i + 1);
      return escape >= 0 && escape < end ? undefined : { start: i + 1, end };
    }
    i = skipValue(b, i);
    if (i < 0) return undefined;
    i = skipWs(b, i);
    if (b[i] !== 0x2c) return undefined;
    i = skipWs(b, i + 1);
  }
  return undefined;
}

function skipWs(b: Buffer, i: number): number {
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return i;
}

/** The index of the quote closing the string that opens at i, or -1. */
function stringEnd(b: Buffer, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = b.indexOf(QUOTE, from);
    if (q < 0) return -1;
    let slashes = 0;
    while (q - 1 - slashes > i && b[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
    from = q + 1;
  }
}

/** The index after the JSON value starting at i (strings, objects and arrays nest), or -1. */
function skipValue(b: Buffer, i: number): number {
  if (b[i] === QUOTE) {
    const end = stringEnd(b, i);
    return end < 0 ? -1 : end + 1;
  }
  let depth = 0;
  for (; i < b.length; i++) {
    const c = b[i];
    if (c === QUOTE) {
      const end = stringEnd(b, i);
      if (end < 0) return -1;
      i = end;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === 0x2c || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) return i;
  }
  return depth === 0 ? i : -1;
}
