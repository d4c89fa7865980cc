/** The bridge's one GUID pattern: LogiKal ids, hyphenated, either case. */
export const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id LogiKal gives every project's default phase. */
export const NULL_GUID = '00000000-0000-0000-0000-000000000000';

export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID_RE.test(value);
}
