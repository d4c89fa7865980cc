/**
 * Why a parts-list file was refused. Every PartsListError is permanent for that file: retrying the
 * same bytes gives the same answer (the predecessor retried "file is not a database" forever).
 * Environment failures (temp dir not writable, disk full, SQLITE_CANTOPEN/IOERR) are NOT wrapped:
 * they surface as the original Error so the caller can treat them as retryable.
 */
export type PartsListErrorReason =
  | 'empty_file' // 0 bytes (failed/empty download)
  | 'not_sqlite' // magic `SQLite format 3\0` absent
  | 'too_large' // over maxBytes, or SQLITE_TOOBIG/NOMEM, or absurd row counts
  | 'corrupt' // quick_check ≠ ok, SQLITE_CORRUPT/NOTADB, unreadable schema
  | 'missing_table' // Elevations / Glass / Insertions absent
  | 'missing_column' // a required column absent (message lists them by name)
  | 'hostile_schema' // a table we read is a view, or has a trigger; unsafe schema function
  | 'no_matching_elevation' // no Elevations row with Name = <exact> AND Alternative = 0
  | 'ambiguous_elevation' // more than one such row: refusing to guess (the predecessor's bug class)
  | 'timeout'; // wall-clock limit hit (statement interrupted)

export class PartsListError extends Error {
  constructor(
    readonly reason: PartsListErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'PartsListError';
  }
}

/** Text from the file (table names in quick_check output, elevation names) goes into logs: keep it tame. */
export function tame(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex -- replacing control characters is this pattern's purpose
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
