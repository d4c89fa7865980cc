import { ResponseTooLargeError } from './errors';

/**
 * How many bytes of answer one HTTP request may still produce: one budget per request, shared by
 * every call of a batch. Services charge it before they build anything large (a binary field is
 * counted from its files' stored sizes before a byte of them is read) and as they build records,
 * so an oversize answer is refused with a clear error instead of being built and serialized: a
 * batch of 20 parts-list pages once built 2.3 GB of strings before JSON.stringify gave up.
 *
 * Sizes are those of the JSON text, estimated; the other wires (XML-RPC) carry the same values.
 */
export class ResponseBudget {
  private used = 0;

  constructor(readonly maxBytes: number) {}

  /** A budget for internal reads whose answers never leave the process. */
  static unmetered(): ResponseBudget {
    return new ResponseBudget(Number.POSITIVE_INFINITY);
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Takes `bytes` from the budget, or throws (taking nothing) if they do not fit. */
  charge(bytes: number): void {
    if (this.used + bytes > this.maxBytes) {
      throw new ResponseTooLargeError(
        `The answer would exceed RESPONSE_MAX_BYTES (${this.maxBytes} bytes for the whole request; the calls of a batch share it): ` +
          'read fewer records per call (limit and offset), or binary fields in smaller pages',
      );
    }
    this.used += bytes;
  }
}

/** The length of the base64 text of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/**
 * A value's JSON size without serializing it: strings by their length plus quotes (escapes and
 * multi-byte characters are not counted; the budget guards memory, it is not an exact meter).
 */
export function jsonSize(v: unknown): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v === 'number') return String(v).length;
  if (typeof v === 'boolean') return v ? 4 : 5;
  if (v === null || v === undefined) return 4;
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + jsonSize(x) + 1, 2);
  if (v instanceof Date) return 26;
  if (typeof v === 'object') return Object.entries(v).reduce<number>((n, [k, x]) => n + k.length + 4 + jsonSize(x), 2);
  return 4;
}
