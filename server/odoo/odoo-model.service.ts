import { In, type EntityManager, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { StoredFile } from '../../entities';
import type { Db } from '../db/db';
import { base64Length, jsonSize, ResponseBudget } from '../response-budget';
import { NotFoundError, UserError, ValueError } from '../errors';
import { DomainCompiler, type Dialect } from './domain-compiler';
import { and, mentionsField, parseDomain, show, type DomainNode } from './domain-parser';
import { isDefaultRead, isStored, ModelRegistry, type FieldDef, type ResolvedModel } from './model-registry';
import { ODOO_MODELS } from './models';
import { parseOrder } from './order';
import { registerSqliteFunctions } from './sqlite-functions';
import { formatValue, type FormatContext } from './value-format';
import type { SyncStarter } from './sync-starter';

/** search_read / name_search / read answer at most this many records per call (page with offset). */
export const MAX_RECORDS = 1000;
/** Parts lists are whole SQLite files (~1-2 MB as base64): pages that carry binaries stay small. */
export const MAX_RECORDS_WITH_BINARY = 50;

function cap(fields: FieldDef[]): number {
  return fields.some((f) => f.type === 'binary') ? MAX_RECORDS_WITH_BINARY : MAX_RECORDS;
}
/** Stored files are read in chunks of about this many bytes. */
const FILE_CHUNK_BYTES = 8 * 1024 * 1024;
/** search answers at most this many ids per call. */
export const MAX_IDS = 10_000;

/** What of Odoo's context the bridge honours. */
export interface OdooContext {
  activeTest: boolean;
}

export const DEFAULT_CONTEXT: OdooContext = { activeTest: true };

export type OdooRecord = Record<string, unknown>;

const ACTIVE_LEAF: DomainNode = { kind: 'leaf', path: ['active'], op: '=', value: true, text: "('active', '=', True)" };

/**
 * The mirror as read-only Odoo models. Every transport (JSON-RPC, XML-RPC, JSON-2) reaches this
 * through object.execute_kw; it knows nothing of wires.
 */
export class OdooModelService {
  readonly registry: ModelRegistry;
  private readonly dialect: Dialect;

  /** Every read goes to the read connection: it never waits for a sync and sees only committed data. */
  private readonly m: EntityManager;

  constructor(db: Db) {
    this.m = db.reader;
    this.registry = new ModelRegistry(db.readerDataSource, ODOO_MODELS);
    this.dialect = db.dialect;
    registerSqliteFunctions(db.readerDataSource);
  }

  model(name: string): ResolvedModel {
    const m = this.registry.get(name);
    if (!m) throw new UserError(`Object ${name} doesn't exist`);
    return m;
  }

  async searchRead(
    model: string,
    opts: { domain?: unknown; fields?: string[]; offset?: number; limit?: number; order?: string; pairs?: boolean },
    ctx: OdooContext,
    budget: ResponseBudget,
  ): Promise<OdooRecord[]> {
    const m = this.model(model);
    const fields = this.readFields(m, opts.fields);
    const qb = this.where(m, opts.domain, ctx);
    this.page(qb, m, opts.offset, opts.limit, opts.order, cap(fields));
    qb.select(this.selection(m, fields));
    const rows = await qb.getMany();
    return this.format(m, rows, fields, ctx, opts.pairs ?? true, budget);
  }

  async read(
    model: string,
    ids: number[],
    fieldNames: string[] | undefined,
    ctx: OdooContext,
    budget: ResponseBudget,
    pairs = true,
  ): Promise<OdooRecord[]> {
    const m = this.model(model);
    const fields = this.readFields(m, fieldNames);
    if (ids.length > cap(fields))
      throw new ValueError(`read: at most ${cap(fields)} ids per call${cap(fields) < MAX_RECORDS ? ' when reading binary fields' : ''}`);
    const unique = [...new Set(ids)];
    const rows = unique.length
      ? await this.m
          .createQueryBuilder(m.def.entity, 'r')
          .select(this.selection(m, fields))
          .where({ id: In(unique) })
          .getMany()
      : [];
    const found = new Map((await this.format(m, rows, fields, ctx, pairs, budget)).map((r): [number, OdooRecord] => [r.id as number, r]));
    const missing = unique.filter((id) => !found.has(id));
    if (missing.length) throw new NotFoundError(`Record does not exist or has been deleted.\n(Record: ${model}(${missing.join(', ')},))`);
    return ids.map((id) => found.get(id)!);
  }

  async search(
    model: string,
    opts: { domain?: unknown; offset?: number; limit?: number; order?: string },
    ctx: OdooContext,
    budget: ResponseBudget,
  ): Promise<number[]> {
    const m = this.model(model);
    const qb = this.where(m, opts.domain, ctx);
    this.page(qb, m, opts.offset, opts.limit, opts.order, MAX_IDS);
    const ids = (await qb.select(['r.id']).getMany()).map((r) => Number(r.id));
    budget.charge(jsonSize(ids));
    return ids;
  }

  async searchCount(model: string, domain: unknown, limit: number | undefined, ctx: OdooContext): Promise<number> {
    const m = this.model(model);
    const count = await this.where(m, domain, ctx).getCount();
    return limit !== undefined && limit > 0 ? Math.min(count, limit) : count;
  }

  /** [[id, display name]] of records whose name matches, like Odoo's name_search. */
  async nameSearch(
    model: string,
    opts: { name?: string; domain?: unknown; operator?: string; limit?: number },
    ctx: OdooContext,
    budget: ResponseBudget,
  ): Promise<Array<[number, string]>> {
    const m = this.model(model);
    const name = opts.name ?? '';
    const operator = opts.operator ?? 'ilike';
    if (opts.domain !== undefined && !Array.isArray(opts.domain)) throw new ValueError(`name_search: invalid domain ${show(opts.domain)}`);
    let domain: unknown[] = opts.domain ? [...(opts.domain as unknown[])] : [];
    // Odoo skips the name filter for an empty name with a "contains" operator.
    if (!(name === '' && (operator === 'ilike' || operator === 'like'))) {
      const fb = m.def.recNameFallback;
      // A record shown by its fallback name (glass without a name) is found by that name too.
      const negative = operator.startsWith('not') || operator === '!=';
      domain = fb
        ? [...domain, negative ? '&' : '|', [m.def.recName, operator, name], [fb, operator, name]]
        : [...domain, [m.def.recName, operator, name]];
    }
    const limit = opts.limit ?? 100;
    const recs = await this.searchRead(model, { domain, fields: ['display_name'], limit }, ctx, budget);
    return recs.map((r) => [r.id as number, r.display_name as string]);
  }

  /** Odoo's fields_get: attributes undefined = all; [] = none. Unknown names in allfields are ignored, as in Odoo. */
  fieldsGet(model: string, allfields?: string[], attributes?: string[]): Record<string, Record<string, unknown>> {
    const m = this.model(model);
    const out: Record<string, Record<string, unknown>> = {};
    for (const f of m.fields.values()) {
      if (allfields?.length && !allfields.includes(f.name)) continue;
      const desc: Record<string, unknown> = {
        type: f.type,
        string: f.string,
        help: f.help ?? '',
        required: !!f.required,
        readonly: true,
        store: isStored(f),
        searchable: isStored(f) || f.name === 'display_name' || f.type === 'one2many',
        sortable: isStored(f) && f.type !== 'binary',
        name: f.name,
      };
      if (f.relation) desc.relation = f.relation;
      if (f.inverse) desc.relation_field = f.inverse;
      if (f.selection) desc.selection = f.selection;
      out[f.name] = attributes === undefined ? desc : Object.fromEntries(Object.entries(desc).filter(([k]) => attributes.includes(k)));
    }
    return out;
  }

  /** The button methods of logikal.project: one sync run per record. */
  async startProjectSyncs(
    model: string,
    ids: number[],
    mode: 'force' | 'smart',
    starter: SyncStarter | undefined,
    requestedBy: string,
  ): Promise<number[]> {
    if (model !== 'logikal.project') throw new UserError(`The method 'action_${mode}_sync' does not exist on the model '${model}'`);
    await this.read(model, ids, ['id'], DEFAULT_CONTEXT, ResponseBudget.unmetered());
    if (!starter) throw new UserError('The sync engine is not available in this bridge process');
    const runIds: number[] = [];
    for (const id of [...new Set(ids)]) runIds.push((await starter.startStoredProject(id, mode, requestedBy)).run_id);
    return runIds;
  }

  private readFields(m: ResolvedModel, names: string[] | undefined): FieldDef[] {
    if (!names || names.length === 0) return [...m.fields.values()].filter(isDefaultRead);
    const out: FieldDef[] = [this.registry.field(m, 'id')];
    for (const n of names) {
      if (typeof n !== 'string') throw new ValueError(`Invalid field name ${show(n)}`);
      const f = this.registry.field(m, n.length > 64 ? `${n.slice(0, 61)}...` : n);
      if (!out.includes(f)) out.push(f);
    }
    return out;
  }

  private selection(m: ResolvedModel, fields: FieldDef[]): string[] {
    const props = new Set<string>(['id']);
    for (const f of fields) {
      if (f.property) props.add(f.property);
      if (f.name === 'display_name') {
        props.add(this.registry.field(m, m.def.recName).property!);
        if (m.def.recNameFallback) props.add(this.registry.field(m, m.def.recNameFallback).property!);
      }
    }
    return [...props].map((p) => `r.${p}`);
  }

  private where(m: ResolvedModel, domain: unknown, ctx: OdooContext): SelectQueryBuilder<ObjectLiteral> {
    let node = parseDomain(domain);
    if (m.hasActive && ctx.activeTest && !mentionsField(node, 'active')) node = and(ACTIVE_LEAF, node);
    const compiler = new DomainCompiler(this.registry, this.dialect, (s) => this.m.connection.driver.escape(s));
    const sql = compiler.compile(node, m, 'r');
    return this.m.createQueryBuilder(m.def.entity, 'r').where(sql, compiler.params);
  }

  private page(
    qb: SelectQueryBuilder<ObjectLiteral>,
    m: ResolvedModel,
    offset: number | undefined,
    limit: number | undefined,
    order: string | undefined,
    cap: number,
  ): void {
    for (const t of parseOrder(order, m)) qb.addOrderBy(`r.${m.fields.get(t.field)!.property}`, t.direction, t.nulls);
    if (offset !== undefined && (!Number.isSafeInteger(offset) || offset < 0)) throw new ValueError(`Invalid offset ${show(offset)}`);
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new ValueError(`Invalid limit ${show(limit)}`);
    // limit 0 / unset means "all" in Odoo; the bridge caps every page.
    qb.offset(offset ?? 0).limit(limit ? Math.min(limit, cap) : cap);
  }

  displayName(m: ResolvedModel, row: ObjectLiteral): string {
    // Rec names are char fields.
    const main = row[m.fields.get(m.def.recName)!.property!] as string | null | undefined;
    if (main !== null && main !== undefined && main !== '') return String(main);
    const fb = m.def.recNameFallback ? (row[m.fields.get(m.def.recNameFallback)!.property!] as string | null | undefined) : null;
    return fb !== null && fb !== undefined && fb !== '' ? String(fb) : `${m.def.name},${row.id}`;
  }

  private async format(
    m: ResolvedModel,
    rows: ObjectLiteral[],
    fields: FieldDef[],
    ctx: OdooContext,
    pairs: boolean,
    budget: ResponseBudget,
  ): Promise<OdooRecord[]> {
    const fc: FormatContext = { names: new Map(), children: new Map(), pairs };
    for (const f of fields) {
      if (f.type === 'many2one' && pairs) {
        const ids = [...new Set(rows.map((r): unknown => r[f.property!]).filter((v): v is number => v !== null && v !== undefined))];
        if (!fc.names.has(f.relation!)) fc.names.set(f.relation!, new Map());
        await this.loadNames(this.registry.comodel(f), ids, fc.names.get(f.relation!)!);
      } else if (f.type === 'one2many') {
        fc.children.set(
          f.name,
          await this.loadChildren(
            f,
            rows.map((r) => Number(r.id)),
            ctx,
          ),
        );
      } else if (f.type === 'binary') {
        await this.loadFiles(
          rows.map((r) => r[f.property!] as number | null),
          (fc.files ??= new Map<number, string>()),
          budget,
        );
      }
    }
    return rows.map((row) => {
      const rec: OdooRecord = {};
      let bytes = 2;
      for (const f of fields) {
        const value =
          f.name === 'display_name'
            ? this.displayName(m, row)
            : formatValue(f, f.property ? row[f.property] : undefined, Number(row.id), fc);
        rec[f.name] = value;
        // A binary value's text was charged by loadFiles, before it was read.
        bytes += f.name.length + 4 + (f.type === 'binary' && value !== false ? 0 : jsonSize(value));
      }
      rec.id = Number(row.id);
      budget.charge(bytes);
      return rec;
    });
  }

  private async loadNames(co: ResolvedModel, ids: number[], into: Map<number, string>): Promise<void> {
    const todo = ids.filter((id) => !into.has(id));
    if (!todo.length) return;
    const rows = await this.m
      .createQueryBuilder(co.def.entity, 'r')
      .select(this.selection(co, [co.fields.get('display_name')!]))
      .where({ id: In(todo) })
      .getMany();
    for (const r of rows) into.set(Number(r.id), this.displayName(co, r));
  }

  /**
   * The contents of stored files as base64, read only when a binary field is named, and only once
   * the answer's budget has room for them: each record carries its own copy of the text, so the
   * charge is per record, from the sizes the files were stored with.
   */
  private async loadFiles(ids: Array<number | null>, into: Map<number, string>, budget: ResponseBudget): Promise<void> {
    const refs = ids.filter((id): id is number => id !== null && id !== undefined);
    const todo = [...new Set(refs.filter((id) => !into.has(id)))];
    const files = this.m.getRepository(StoredFile);
    const sizes = new Map(
      todo.length ? (await files.find({ select: { id: true, size: true }, where: { id: In(todo) } })).map((f) => [f.id, f.size]) : [],
    );
    budget.charge(refs.reduce((n, id) => n + 2 + (into.get(id)?.length ?? base64Length(sizes.get(id) ?? 0)), 0));
    // In chunks of a few MiB: never every file's bytes at once beside the text they become.
    const chunks: number[][] = [];
    let bytes = Number.POSITIVE_INFINITY;
    for (const id of todo) {
      const size = sizes.get(id);
      if (size === undefined) continue; // gone since the rows were read: the field reads false
      if (bytes + size > FILE_CHUNK_BYTES) {
        chunks.push([]);
        bytes = 0;
      }
      chunks[chunks.length - 1].push(id);
      bytes += size;
    }
    for (const chunk of chunks) {
      for (const f of await files.find({ select: { id: true, content: true }, where: { id: In(chunk) } })) {
        into.set(f.id, Buffer.from(f.content).toString('base64'));
      }
    }
  }

  /** one2many ids, honouring active_test on the comodel as Odoo does. */
  private async loadChildren(f: FieldDef, ids: number[], ctx: OdooContext): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    if (!ids.length) return out;
    const co = this.registry.comodel(f);
    const inverse = co.fields.get(f.inverse!)!.property!;
    const where: Record<string, unknown> = { [inverse]: In(ids) };
    if (co.hasActive && ctx.activeTest) where.active = true;
    const rows = await this.m
      .createQueryBuilder(co.def.entity, 'r')
      .select(['r.id', `r.${inverse}`])
      .where(where)
      .orderBy('r.id', 'ASC')
      .getMany();
    for (const r of rows) {
      const parent = Number(r[inverse]);
      if (!out.has(parent)) out.set(parent, []);
      out.get(parent)!.push(Number(r.id));
    }
    return out;
  }
}
