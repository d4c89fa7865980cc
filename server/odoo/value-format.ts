import type { FieldDef } from './model-registry';

/** Odoo's datetime format: UTC, no T, no zone. */
export function formatOdooDatetime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?)?(Z|[+-]00:?00)?$/;

/**
 * Parses what Odoo accepts in a datetime domain value. A bare date means the start of that day,
 * or its end for `>` and `<=` (Odoo appends 23:59:59 there). Values are UTC.
 */
export function parseOdooDatetime(s: string, endOfDay = false): Date | null {
  const m = DATETIME.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac] = m;
  const dateOnly = h === undefined;
  const ms = frac ? Math.round(Number(frac) * 1000) : 0;
  const t = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    dateOnly ? (endOfDay ? 23 : 0) : Number(h),
    dateOnly ? (endOfDay ? 59 : 0) : Number(mi),
    dateOnly ? (endOfDay ? 59 : 0) : Number(sec ?? 0),
    dateOnly ? 0 : ms,
  );
  const date = new Date(t);
  // Reject 2026-02-31 and friends instead of rolling over.
  if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) return null;
  return date;
}

export interface FormatContext {
  /** comodel → id → display name, for many2one pairs. */
  names: Map<string, Map<number, string>>;
  /** one2many field name → record id → comodel ids. */
  children: Map<string, Map<number, number[]>>;
  /** Odoo's `load`: '_classic_read' (default) gives many2one pairs; anything else bare ids. */
  pairs: boolean;
  /** Stored file id → its content as base64, for the binary fields read (they hold a file id); shared by the records that point at it. */
  files?: Map<number, string>;
}

/** One stored or computed value in Odoo's read() conventions: false for empty, never null. */
export function formatValue(field: FieldDef, raw: unknown, recordId: number, ctx: FormatContext): unknown {
  switch (field.type) {
    case 'one2many':
      return ctx.children.get(field.name)?.get(recordId) ?? [];
    case 'many2one': {
      if (raw === null || raw === undefined) return false;
      const id = Number(raw);
      if (!ctx.pairs) return id;
      return [id, ctx.names.get(field.relation!)?.get(id) ?? `${field.relation},${id}`];
    }
    case 'boolean':
      return raw === true || raw === 1;
    default:
      break;
  }
  if (raw === null || raw === undefined) return false;
  switch (field.type) {
    case 'datetime':
      // TypeORM hydrates a datetime column as a Date; String() passes anything else on as it is stored.
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- not a Date: stored text (or a number), never an object
      return raw instanceof Date ? formatOdooDatetime(raw) : String(raw);
    case 'binary': {
      return ctx.files?.get(Number(raw)) ?? false;
    }
    case 'integer':
    case 'float':
      return Number(raw);
    case 'text':
    case 'char':
    case 'selection':
      // simple-json columns (sync.run failures) arrive parsed; Odoo shows text.
      return typeof raw === 'string' ? raw : JSON.stringify(raw);
    default:
      return raw;
  }
}
