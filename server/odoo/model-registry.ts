import type { DataSource, ObjectLiteral } from 'typeorm';
import { ValueError } from '../errors';

/** Odoo field types the bridge exposes (a subset of Odoo's). */
export type FieldType = 'integer' | 'char' | 'text' | 'float' | 'boolean' | 'datetime' | 'many2one' | 'one2many' | 'binary' | 'selection';

export interface FieldDef {
  name: string;
  type: FieldType;
  /** Odoo's label (fields_get "string"). */
  string: string;
  help?: string;
  /**
   * Entity property (camelCase) holding the value; absent for computed fields (display_name, one2many).
   * A binary field's property holds the id of its stored file (entities/stored-file.entity.ts).
   */
  property?: string;
  /** many2one / one2many: the comodel's Odoo name. */
  relation?: string;
  /** one2many: the comodel's many2one field pointing back here. */
  inverse?: string;
  selection?: Array<[string, string]>;
  required?: boolean;
}

export interface ModelDef {
  name: string;
  description: string;
  entity: new () => ObjectLiteral;
  /** The field that names a record: display names and name_search. */
  recName: string;
  /** Used when the rec name is empty. */
  recNameFallback?: string;
  fields: FieldDef[];
}

/** A model resolved against the TypeORM metadata: table and column names are known and checked once. */
export interface ResolvedModel {
  def: ModelDef;
  table: string;
  fields: Map<string, FieldDef>;
  /** Odoo field name → database column, for stored fields. */
  columns: Map<string, string>;
  hasActive: boolean;
}

export function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

type Extra = Partial<Omit<FieldDef, 'name' | 'type' | 'string'>>;

function mk(type: FieldType) {
  return (name: string, string: string, extra: Extra = {}): FieldDef => ({ name, type, string, property: camel(name), ...extra });
}

/** Field constructors: the property defaults to the camelCase of the Odoo name. */
export const F = {
  id: (): FieldDef => ({ name: 'id', type: 'integer', string: 'ID', property: 'id', required: true }),
  displayName: (): FieldDef => ({ name: 'display_name', type: 'char', string: 'Display Name' }),
  char: mk('char'),
  text: mk('text'),
  integer: mk('integer'),
  float: mk('float'),
  boolean: mk('boolean'),
  datetime: mk('datetime'),
  binary: mk('binary'),
  selection: (name: string, string: string, selection: Array<[string, string]>, extra: Extra = {}): FieldDef => ({
    name,
    type: 'selection',
    string,
    property: camel(name),
    selection,
    ...extra,
  }),
  many2one: (name: string, string: string, relation: string, extra: Extra = {}): FieldDef => ({
    name,
    type: 'many2one',
    string,
    property: camel(name),
    relation,
    ...extra,
  }),
  one2many: (name: string, string: string, relation: string, inverse: string): FieldDef => ({
    name,
    type: 'one2many',
    string,
    relation,
    inverse,
  }),
};

/** Stored = has a column: can be filtered and sorted in SQL. */
export function isStored(f: FieldDef): boolean {
  return f.property !== undefined;
}

export function isSortable(f: FieldDef): boolean {
  return isStored(f) && f.type !== 'binary';
}

/** Read by default when `fields` is not given: binaries only on request (they are large). */
export function isDefaultRead(f: FieldDef): boolean {
  return f.type !== 'binary';
}

export class ModelRegistry {
  private readonly models = new Map<string, ResolvedModel>();

  constructor(ds: DataSource, defs: ModelDef[]) {
    for (const def of defs) {
      const meta = ds.getMetadata(def.entity);
      const columns = new Map<string, string>();
      const fields = new Map<string, FieldDef>();
      for (const f of def.fields) {
        if (fields.has(f.name)) throw new Error(`${def.name}: duplicate field ${f.name}`);
        fields.set(f.name, f);
        if (f.property === undefined) continue;
        const col = meta.findColumnWithPropertyName(f.property);
        if (!col) throw new Error(`${def.name}.${f.name}: entity ${meta.name} has no property ${f.property}`);
        columns.set(f.name, col.databaseName);
      }
      if (!fields.has(def.recName)) throw new Error(`${def.name}: rec name ${def.recName} is not a field`);
      this.models.set(def.name, { def, table: meta.tablePath, fields, columns, hasActive: columns.has('active') });
    }
    for (const m of this.models.values()) {
      for (const f of m.fields.values()) {
        if ((f.type === 'many2one' || f.type === 'one2many') && !this.models.has(f.relation ?? '')) {
          throw new Error(`${m.def.name}.${f.name}: unknown comodel ${f.relation}`);
        }
      }
    }
  }

  get(name: string): ResolvedModel | undefined {
    return this.models.get(name);
  }

  names(): string[] {
    return [...this.models.keys()];
  }

  /** The field, or Odoo's ValueError naming it. */
  field(model: ResolvedModel, name: string, where = ''): FieldDef {
    const f = model.fields.get(name);
    if (!f) throw new ValueError(`Invalid field '${name}' on model '${model.def.name}'${where}`);
    return f;
  }

  comodel(f: FieldDef): ResolvedModel {
    return this.models.get(f.relation ?? '')!;
  }
}
