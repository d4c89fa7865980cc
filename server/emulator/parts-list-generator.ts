/**
 * Builds realistic LogiKal parts-list SQLite files (the thing `GET /elevations/selected/parts-list`
 * returns base64-encoded), plus hostile variants, for the emulator and tests.
 * Schema follows logikal-api.md §5.4: real table/column names, WAL-mode main file, page size 4096.
 */
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ParsedElevation, ParsedGlass, ParsedPartsList } from '../parts/parts-list-parser';

export interface PartsListSpec {
  projectName: string; projectGuid: string;
  phaseName: string;
  elevationName: string; elevationGuid: string;
  systemCode?: string; systemName?: string; systemLongName?: string; colorBaseLong?: string;
  widthMm: number; heightMm: number;
  glassCount?: number;
  alternatives?: number;
  decoyNames?: string[];
  targetBytes?: number;
  seed: number;
}

export type HostileKind = 'not-sqlite' | 'truncated' | 'empty-file' | 'missing-glass' | 'lowercase-columns'
  | 'empty-elevations' | 'oversize' | 'elevations-view' | 'trigger' | 'name-quotes' | 'no-matching-row' | 'bit-flips';

export const HOSTILE_KINDS: readonly HostileKind[] = ['not-sqlite', 'truncated', 'empty-file', 'missing-glass',
  'lowercase-columns', 'empty-elevations', 'oversize', 'elevations-view', 'trigger', 'name-quotes',
  'no-matching-row', 'bit-flips'];

export function demoSpec(overrides: Partial<PartsListSpec> = {}): PartsListSpec {
  return {
    projectName: 'DOS22410', projectGuid: '15782e4d-a69c-4ce5-9c17-d3060a039b2d',
    phaseName: '', elevationName: 'P1', elevationGuid: '6f1c2b9e-0d4a-4b7e-9a51-3c2d1e0f4a77',
    systemCode: 'ML8', systemName: 'Reynaers MasterLine 8', systemLongName: 'Reynaers MasterLine 8 Functional',
    colorBaseLong: 'RAL 9016 Verkehrsweiß', widthMm: 3100, heightMm: 2245, glassCount: 2,
    alternatives: 1, decoyNames: ['P10'], seed: 1, ...overrides,
  };
}

/** Name used by the 'name-quotes' variant: the spec name plus quotes, `../` and SQL-ish noise. */
export function nameQuotesName(base: string): string {
  return `${base} 'Süd' "A" ../../etc/passwd; DROP TABLE Glass;--`;
}

// ---------------------------------------------------------------------------------------------
// Deterministic data model

type Cell = string | number | Buffer | null;
interface Table { name: string; cols: readonly string[]; types: readonly string[]; rows: Cell[][] }

function prng(seed: number): () => number {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return (): number => {   // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
type Rng = () => number;
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;
const braced = (guid: string): string => `{${guid.toUpperCase()}}`;
function guidFrom(r: Rng): string {
  const h = (n: number): string => Array.from({ length: n }, () => int(r, 0, 15).toString(16)).join('');
  return braced(`${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(12)}`);
}

const SYSTEMS: readonly [string, string, string][] = [
  ['CP130LS', 'Reynaers ConceptPatio 130-LS (CP 130-LS)', 'Reynaers ConceptPatio 130-LS Lift&Slide'],
  ['CS77', 'Reynaers ConceptSystem 77', 'Reynaers ConceptSystem 77 Functional'],
  ['ML8', 'Reynaers MasterLine 8', 'Reynaers MasterLine 8 Renaissance'],
];
const COLORS = ['RAL 9016 Verkehrsweiß', 'RAL 7016 Anthrazitgrau', 'RAL 9005 Tiefschwarz', 'Eloxal C0 natur'];
const AUTO = [['Fenster 2-flüglig, Dreh-Kipp / Fest', 'DK/F'], ['Hebe-Schiebetür 2-teilig', 'HS 2'],
  ['Fenster 1-flüglig, Dreh-Kipp', 'DK'], ['Festverglasung mit Oberlicht', 'F/OL']] as const;
const GLASS = [['4/16/4 Ug 1,1', '2-fach', '4 / 16 Ar / 4'], ['6/14/4/14/6 Ug 0,6', '3-fach', '6 / 14 Kr / 4 / 14 Kr / 6'],
  ['44.2/16/6 VSG', 'VSG', '44.2 / 16 Ar / 6'], ['8/16/4 ESG Ug 1,0', 'ESG', '8 / 16 Ar / 4']] as const;

interface ElevRow {
  name: string; alternative: number; widthMm: number; heightMm: number; systemCode: string; systemName: string;
  systemLongName: string; colorBaseLong: string; auto: string; autoShort: string; glassCount: number;
  articles: number; profiles: number;
}
interface Model { tables: Table[]; main: ParsedPartsList }

function elevationDefs(spec: PartsListSpec, r: Rng): ElevRow[] {
  const sys = SYSTEMS.find((s) => s[1] === spec.systemName) ?? pick(r, SYSTEMS);
  const auto = pick(r, AUTO);
  const main: ElevRow = {
    name: spec.elevationName, alternative: 0, widthMm: spec.widthMm, heightMm: spec.heightMm,
    systemCode: spec.systemCode ?? sys[0], systemName: spec.systemName ?? sys[1],
    systemLongName: spec.systemLongName ?? sys[2], colorBaseLong: spec.colorBaseLong ?? pick(r, COLORS),
    auto: auto[0], autoShort: auto[1], glassCount: Math.min(4, Math.max(1, spec.glassCount ?? 2)),
    articles: int(r, 20, 40), profiles: int(r, 15, 25),
  };
  const other = (name: string, alternative: number): ElevRow => {
    const s = pick(r, SYSTEMS.filter((x) => x[1] !== main.systemName));
    const a = pick(r, AUTO.filter((x) => x[0] !== main.auto));
    return { name, alternative, widthMm: main.widthMm + int(r, 50, 900), heightMm: main.heightMm + int(r, 10, 300),
      systemCode: s[0], systemName: s[1], systemLongName: s[2], colorBaseLong: pick(r, COLORS.filter((c) => c !== main.colorBaseLong)),
      auto: a[0], autoShort: a[1], glassCount: int(r, 1, 4), articles: int(r, 4, 10), profiles: int(r, 3, 8) };
  };
  const rows = [main];
  for (let i = 1; i <= (spec.alternatives ?? 0); i++) rows.push(other(spec.elevationName, i));
  for (const d of spec.decoyNames ?? []) rows.push(other(d, 0));
  return rows;
}

function buildModel(spec: PartsListSpec, rowsOverride?: ElevRow[]): Model {
  const r = prng(spec.seed);
  const defs = rowsOverride ?? elevationDefs(spec, r);
  const t = (name: string, spec2: string, rows: Cell[][] = []): Table => {
    const parts = spec2.split(',').map((c) => c.trim().split(' '));
    return { name, cols: parts.map((p) => p[0] as string), types: parts.map((p) => p[1] ?? 'TEXT'), rows };
  };
  const projects = t('Projects', 'ProjectID INTEGER, Name, OfferNo, OrderNo, PersonInCharge, LK_CustomerAddressID INTEGER, xGUID',
    [[1, spec.projectName, `A-${int(r, 10000, 99999)}`, `O-${int(r, 10000, 99999)}`, 'M. Wagner', 1, braced(spec.projectGuid)]]);
  const phases = t('Phases', 'PhaseID INTEGER, ProjectID INTEGER, Name, Info1, xGUID',
    [[1, 1, spec.phaseName, '', spec.phaseName === '' ? '{00000000-0000-0000-0000-000000000000}' : guidFrom(r)]]);
  const groups = t('ElevationGroups', 'ElevationGroupID INTEGER, PhaseID INTEGER', [[1, 1]]);
  const elev = t('Elevations', 'ElevationID INTEGER, ElevationGroupID INTEGER, Name, Description, Model, AutoDescription, '
    + 'AutoDescriptionShort, Amount INTEGER, Width REAL, Height REAL, Width_Output REAL, Width_Unit, Height_Output REAL, '
    + 'Height_Unit, Weight_Output REAL, Weight_Unit, Area_Output REAL, Area_Unit, SystemCode, SystemName, SystemLongName, '
    + 'ColorBase_Long, Alternative INTEGER, xGUID');
  const single = t('SingleElevations', 'SingleElevationID INTEGER, ElevationGroupId INTEGER, Name, xGUID, Amount INTEGER, '
    + 'SystemLongName, SystemName, SystemCode, Picture1_File');
  const ins = t('Insertions', 'InsertionID INTEGER, ElevationId INTEGER, GroupID INTEGER, xGUID');
  const glass = t('Glass', 'GlassID INTEGER, InsertionId INTEGER, Name, NameShort, Description, Configuration, Info1, Info2, '
    + 'Origin, Price REAL, Width_Output REAL, Height_Output REAL, FieldNo, AreaOffer TEXT, SpacerGap_Output REAL, '
    + 'LK_SupplierId INTEGER, ModelType');
  const arts = t('Articles', 'InsertionId INTEGER, ArticleCode, ArticleCode_Number, Description, Units REAL, Units_Unit, '
    + 'Amount REAL, Price REAL, PUSize REAL, LK_SupplierId INTEGER, Color, ColorInfoInternal');
  const profs = t('Profiles', 'ProfileID INTEGER, InsertionId INTEGER, ArticleCode, ArticleCode_Number, Description, '
    + 'Length REAL, Length_Output REAL, Length_Unit, Amount INTEGER, Price REAL, LK_SupplierID INTEGER, Color, '
    + 'ColorInfoInternal, OuterColorInfoInternal, InnerColorInfoInternal');
  const offer = t('ReportOfferTexts', 'ElevationId INTEGER, TotalPrice REAL, Description');
  const surface = t('ElevationSurface', 'ElevationId INTEGER, SurfaceColor');
  let main: ParsedPartsList | undefined;
  let insId = 0, glassId = 0, profId = 0;
  defs.forEach((d, i) => {
    const id = i + 1;
    const area = round((d.widthMm * d.heightMm) / 1e6, 3);
    const weight = round(area * (38 + r() * 12), 2);
    const e: ParsedElevation = { autoDescription: d.auto, autoDescriptionShort: d.autoShort, widthOut: d.widthMm,
      widthUnit: 'mm', heightOut: d.heightMm, heightUnit: 'mm', weightOut: weight, weightUnit: 'kg', areaOutput: area,
      areaUnit: 'm²', systemCode: d.systemCode, systemName: d.systemName, systemLongName: d.systemLongName,
      colorBaseLong: d.colorBaseLong };
    const eGuid = i === 0 ? braced(spec.elevationGuid) : guidFrom(r);
    elev.rows.push([id, 1, d.name, d.alternative ? `Alternative ${d.alternative}` : '', d.systemCode, e.autoDescription,
      e.autoDescriptionShort, 1, d.widthMm, d.heightMm, e.widthOut, 'mm', e.heightOut, 'mm', e.weightOut, 'kg',
      e.areaOutput, 'm²', e.systemCode, e.systemName, e.systemLongName, e.colorBaseLong, d.alternative, eGuid]);
    single.rows.push([id, 1, d.name, eGuid, 1, d.systemLongName, d.systemName, d.systemCode, `${id}.emf`]);
    offer.rows.push([id, round(area * (420 + r() * 300), 2), d.auto]);
    surface.rows.push([id, d.colorBaseLong]);
    const insIds: number[] = [];
    for (let k = 0, n = int(r, 2, 4); k < n; k++) { insIds.push(++insId); ins.rows.push([insId, id, k + 1, guidFrom(r)]); }
    const g: ParsedGlass[] = [];
    for (let k = 0; k < d.glassCount; k++) {
      const gt = pick(r, GLASS);
      const w = round(d.widthMm / d.glassCount - int(r, 90, 140), 1), h = round(d.heightMm - int(r, 150, 260), 1);
      const pg: ParsedGlass = { glassId: String(++glassId), name: gt[0], nameShort: gt[1], description: `Isolierglas ${gt[0]}`,
        configuration: gt[2], info1: `Pos. ${k + 1}`, info2: '', origin: pick(r, ['Glas Trösch', 'AGC', 'Saint-Gobain']),
        price: round(w * h / 1e6 * (60 + r() * 90), 2), widthOutput: w, heightOutput: h, fieldNo: String(k + 1),
        areaOffer: round(Math.max(w * h / 1e6, 0.5), 3), spacerGapOutput: pick(r, [14, 16, 18]), modelType: pick(r, ['Glass', 'Panel']) };
      g.push(pg);
      glass.rows.push([glassId, insIds[k % insIds.length] as number, pg.name, pg.nameShort, pg.description, pg.configuration,
        pg.info1, pg.info2, pg.origin, pg.price, pg.widthOutput, pg.heightOutput, pg.fieldNo, String(pg.areaOffer),
        pg.spacerGapOutput, int(r, 1, 4), pg.modelType]);
    }
    for (let k = 0; k < d.articles; k++) {
      const nr = `${int(r, 100, 999)}.${int(r, 1000, 9999)}`;
      arts.rows.push([pick(r, insIds), `RY ${nr}`, nr, pick(r, ['Dichtung EPDM', 'Schraube 4,2x19', 'Eckverbinder', 'Beschlag DK',
        'Griff Standard', 'Entwässerungskappe']), round(1 + r() * 20, 2), pick(r, ['Stk', 'm', 'Set']), int(r, 1, 24),
        round(0.2 + r() * 40, 2), int(r, 1, 100), int(r, 1, 4), d.colorBaseLong, 'RAL']);
    }
    for (let k = 0; k < d.profiles; k++) {
      const len = int(r, 400, Math.max(500, d.widthMm));
      profs.rows.push([++profId, pick(r, insIds), `RY ${int(r, 100, 999)}.${int(r, 1000, 9999)}`, String(int(r, 1000, 9999)),
        pick(r, ['Blendrahmen', 'Flügelrahmen', 'Sprosse', 'Glasleiste', 'Pfosten']), len / 1000, len, 'mm', int(r, 1, 4),
        round(5 + r() * 80, 2), int(r, 1, 4), d.colorBaseLong, 'RAL', 'RAL', 'RAL']);
    }
    if (i === 0) {
      main = { elevation: e, glass: g, partsCount: d.articles + d.profiles + g.length,
        counts: { articles: d.articles, profiles: d.profiles, glass: g.length } };
    }
  });
  const filler = fillerTables(r, t, profs, arts);
  if (main === undefined) main = emptyMain();
  return { tables: [projects, phases, groups, elev, single, ins, glass, arts, profs, offer, surface, ...filler], main };
}

function emptyMain(): ParsedPartsList {
  const n = null;
  return { elevation: { autoDescription: n, autoDescriptionShort: n, widthOut: n, widthUnit: n, heightOut: n, heightUnit: n,
    weightOut: n, weightUnit: n, areaOutput: n, areaUnit: n, systemCode: n, systemName: n, systemLongName: n, colorBaseLong: n },
  glass: [], partsCount: 0, counts: { articles: 0, profiles: 0, glass: 0 } };
}

function fillerTables(r: Rng, t: (n: string, c: string, rows?: Cell[][]) => Table, profs: Table, arts: Table): Table[] {
  const seq = (n: number, f: (i: number) => Cell[]): Cell[][] => Array.from({ length: n }, (_, i) => f(i + 1));
  const words = ['Montage', 'Zuschnitt', 'Verglasung', 'Beschlag', 'Transport', 'Dichtung', 'Bohren', 'Fräsen'];
  return [
    t('AllArticles', 'ArticleCode, ArticleCode_Supplier, ArticleCode_Number, ArticleCode_BaseNumber, Description, Units REAL, '
      + 'Units_Unit, Price REAL, PUSize REAL, IsManual INTEGER, Color, ColorInfoInternal',
    arts.rows.map((a) => [a[1] as Cell, 'Reynaers', a[2] as Cell, String(a[2]).split('.')[0] as string, a[3] as Cell, a[4] as Cell,
      a[5] as Cell, a[7] as Cell, a[8] as Cell, 0, a[10] as Cell, a[11] as Cell])),
    t('AllProfiles', 'ArticleCode, ArticleCode_Supplier, ArticleCode_Number, ArticleCode_BaseNumber, Description, Units REAL, '
      + 'Amount INTEGER, Price REAL, PUSize REAL, IsManual INTEGER, Color, ColorInfoInternal, OuterColorInfoInternal, InnerColorInfoInternal',
    profs.rows.map((p) => [p[2] as Cell, 'Reynaers', p[3] as Cell, p[3] as Cell, p[4] as Cell, p[5] as Cell, p[8] as Cell,
      p[9] as Cell, 6.5, 0, p[11] as Cell, 'RAL', 'RAL', 'RAL'])),
    t('ProfileBars', 'ProfileBarID INTEGER, ArticleCode_Number, Description, Length_Output REAL, UsedLength_Output REAL, '
      + 'Amount INTEGER, SupplierId INTEGER, Color, ColorInfoInternal, OuterColorInfoInternal, InnerColorInfoInternal',
    seq(Math.ceil(profs.rows.length / 2), (i) => [i, String(int(r, 1000, 9999)), 'Stange 6,5 m', 6500, int(r, 3000, 6400), 1,
      int(r, 1, 4), 'RAL 9016', 'RAL', 'RAL', 'RAL'])),
    t('ProfileCuts', 'ProfileBarId INTEGER, LK_ProfileId INTEGER', profs.rows.map((p, i) => [Math.floor(i / 2) + 1, p[0] as Cell])),
    t('Suppliers', 'SupplierID INTEGER, ActiveTitle, Address1, Address2',
      seq(4, (i) => [i, ['Reynaers Aluminium', 'Glas Trösch', 'Roto Frank', 'SFS intec'][i - 1] as string, 'Straße 1', 'DE'])),
    t('Manufacturers', 'ManufacturerID INTEGER, Name', seq(3, (i) => [i, ['Reynaers', 'Roto', 'Schüco'][i - 1] as string])),
    t('Address', 'AddressID INTEGER, Address2', seq(4, (i) => [i, `Adresse ${i}`])),
    t('LabourTimes', 'LabourTimeID INTEGER, ElevationId INTEGER, Name, Time REAL, Time_Unit',
      seq(27, (i) => [i, 1, pick(r, words), round(r() * 90, 1), 'min'])),
    t('LabourCosts', 'LabourCostID INTEGER, ElevationId INTEGER, Name, Cost REAL', seq(21, (i) => [i, 1, pick(r, words), round(r() * 120, 2)])),
    t('CalcItemNames', 'CalcItemNameID INTEGER, Name', seq(35, (i) => [i, `${pick(r, words)} ${i}`])),
    t('CalcDetailItems', 'CalcDetailItemID INTEGER, CalcItemNameID INTEGER, Value REAL', seq(140, (i) => [i, int(r, 1, 35), round(r() * 500, 2)])),
    t('MountingLines', 'MountingLineID INTEGER, ElevationId INTEGER, Name, Length_Output REAL', seq(4, (i) => [i, 1, `Linie ${i}`, int(r, 900, 3200)])),
    t('UValue', 'Name, U REAL, U_Unit, Area REAL, Area_Unit', seq(22, (i) => [`Feld ${i}`, round(0.6 + r() * 1.4, 2), 'W/m²K', round(r() * 3, 3), 'm²'])),
    t('Colors', 'ColorID INTEGER, Name, ColorInfoInternal', seq(6, (i) => [i, COLORS[i % COLORS.length] as string, 'RAL'])),
    t('ElevationCE', 'ElevationCEID INTEGER, ElevationId INTEGER, Name, Value', seq(20, (i) => [i, 1, `CE ${i}`, `Klasse ${int(r, 1, 4)}`])),
    t('REPORTVARIABLES', 'subNode, FieldName, SValue', seq(60, (i) => [`Node${i % 7}`, `Field${i}`, pick(r, words)])),
  ];
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Values the parser must return for the spec's main elevation (same model the file is built from). */
export function expectedPartsList(spec: PartsListSpec): ParsedPartsList {
  return buildModel(spec).main;
}

const q = (id: string): string => `"${id.replace(/"/g, '""')}"`;

interface WriteOpts { lowerElevationCols?: boolean; elevationsAsView?: boolean; trigger?: boolean; dropGlass?: boolean }

/**
 * Runs `fn` on a private SQLite file — a copy of `bytes`, or a new one — then checkpoints and
 * returns the main file only, as LogiKal ships it. The temp dir is always removed.
 */
export function rewriteSqlite(bytes: Buffer | null, fn: (db: Database.Database) => void): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lk-parts-gen-'));
  try {
    const file = path.join(dir, 'parts.db');
    if (bytes) fs.writeFileSync(file, bytes);
    const db = new Database(file);
    try {
      fn(db);
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function writeDb(model: Model, targetBytes: number | undefined, seed: number, o: WriteOpts = {}): Buffer {
  return rewriteSqlite(null, (db) => {
    db.pragma('page_size = 4096');
    db.pragma('journal_mode = WAL');   // real exports are WAL-mode files (header bytes 18/19 = 2)
    db.pragma('synchronous = OFF');    // throwaway file: durability buys nothing here
    db.transaction(() => {
      for (const tb of model.tables) {
        if (o.dropGlass && tb.name === 'Glass') continue;
        const isElev = tb.name === 'Elevations';
        const name = isElev && o.elevationsAsView ? 'ElevationsData' : tb.name;
        const cols = tb.cols.map((c) => (isElev && o.lowerElevationCols ? c.toLowerCase() : c));
        db.exec(`CREATE TABLE ${q(name)} (${cols.map((c, i) => `${q(c)} ${tb.types[i]}`).join(', ')})`);
        const ins = db.prepare(`INSERT INTO ${q(name)} VALUES (${cols.map(() => '?').join(', ')})`);
        for (const row of tb.rows) ins.run(...row);
      }
      if (o.elevationsAsView) {
        db.exec(`CREATE VIEW Elevations AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000)
          SELECT e.* FROM ElevationsData e, n WHERE n.i = 1 OR randomblob(1000000) IS NULL`);
      }
      if (o.trigger) {
        db.exec(`CREATE TRIGGER Elevations_audit AFTER INSERT ON Elevations BEGIN
          DELETE FROM Glass; UPDATE Elevations SET Name = randomblob(16); END`);
      }
      pad(db, targetBytes, seed);
    })();
  });
}

function pad(db: Database.Database, targetBytes: number | undefined, seed: number): void {
  db.exec('CREATE TABLE Pictures (PictureID INTEGER PRIMARY KEY, Name TEXT, Data BLOB)');
  if (!targetBytes) return;
  const pages = (db.pragma('page_count', { simple: true }) as number);
  // Overflow pages carry 4092 payload bytes each; aim a little below target to absorb b-tree overhead.
  const deficit = Math.floor((targetBytes - pages * 4096) * 4092 / 4096) - 8192;
  if (deficit <= 0) return;
  const bytes = randomBytes(deficit, seed);
  const ins = db.prepare('INSERT INTO Pictures (Name, Data) VALUES (?, ?)');
  const chunk = 256 * 1024;
  for (let off = 0, i = 1; off < deficit; off += chunk, i++) ins.run(`Bild${i}.png`, bytes.subarray(off, Math.min(deficit, off + chunk)));
}

function randomBytes(n: number, seed: number): Buffer {
  const words = new Uint32Array(Math.ceil(n / 4));
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; words[i] = x >>> 0; }
  return Buffer.from(words.buffer, 0, n);
}

export function generatePartsList(spec: PartsListSpec): Buffer {
  return writeDb(buildModel(spec), spec.targetBytes, spec.seed);
}

// ---------------------------------------------------------------------------------------------
// Hostile variants

export function generateHostilePartsList(kind: HostileKind, spec: PartsListSpec): Buffer {
  switch (kind) {
    case 'not-sqlite':
      return Buffer.from('<html><head><title>502 Bad Gateway</title></head><body>Service unavailable</body></html>\n'.repeat(8));
    case 'empty-file':
      return Buffer.alloc(0);
    case 'truncated': {
      const b = generatePartsList(spec);
      return b.subarray(0, Math.floor(b.length * 0.45) - 1234);   // mid-download cut, not page-aligned
    }
    case 'oversize':
      return generatePartsList({ ...spec, targetBytes: 10.5 * 1024 * 1024 });
    case 'missing-glass':
      return writeDb(buildModel(spec), spec.targetBytes, spec.seed, { dropGlass: true });
    case 'lowercase-columns':
      return writeDb(buildModel(spec), spec.targetBytes, spec.seed, { lowerElevationCols: true });
    case 'elevations-view':
      return writeDb(buildModel(spec), spec.targetBytes, spec.seed, { elevationsAsView: true });
    case 'trigger':
      return writeDb(buildModel(spec), spec.targetBytes, spec.seed, { trigger: true });
    case 'empty-elevations':
      return writeDb(buildModel(spec, []), spec.targetBytes, spec.seed);
    case 'name-quotes':
      return generatePartsList({ ...spec, elevationName: nameQuotesName(spec.elevationName),
        decoyNames: [...(spec.decoyNames ?? []), spec.elevationName, `${spec.elevationName} 'Süd'`] });
    case 'no-matching-row': {
      // Only an alternative carries the name, and a decoy that a LIKE '%name%' would match.
      const r = prng(spec.seed);
      const defs = elevationDefs({ ...spec, alternatives: 1, decoyNames: [`${spec.elevationName}0`] }, r).slice(1);
      return writeDb(buildModel(spec, defs), spec.targetBytes, spec.seed);
    }
    case 'bit-flips':
      return flipBits(generatePartsList(spec), spec.seed);
  }
}

const BTREE_PAGE_TYPES = new Set([0x02, 0x05, 0x0a, 0x0d]);

/** Flips bytes inside b-tree page headers/cell areas until SQLite's own quick_check objects. */
function flipBits(src: Buffer, seed: number): Buffer {
  const r = prng(seed ^ 0x5eed);
  const b = Buffer.from(src);
  const pageSize = 4096;
  const btreePages: number[] = [];
  for (let p = 1; p * pageSize < b.length; p++) if (BTREE_PAGE_TYPES.has(b[p * pageSize] as number)) btreePages.push(p);
  for (let round = 0; round < 50; round++) {
    for (let k = 0; k < 6; k++) {
      const page = pick(r, btreePages) * pageSize;
      const off = page + (k % 2 === 0 ? int(r, 1, 23) : int(r, 24, pageSize - 1));   // header/cell pointers, then content
      b[off] = (b[off] as number) ^ (1 << int(r, 0, 7));
    }
    if (!passesQuickCheck(b)) return b;
  }
  throw new Error('bit-flips: could not produce a corrupt file');
}

function passesQuickCheck(bytes: Buffer): boolean {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lk-parts-chk-'));
  try {
    const file = path.join(dir, 'c.db');
    fs.writeFileSync(file, bytes);
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.pragma('quick_check') as { quick_check: string }[];
      return rows.length === 1 && rows[0]?.quick_check === 'ok';
    } finally {
      db.close();
    }
  } catch {
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
