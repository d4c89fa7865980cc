/**
 * The deterministic data model behind a generated LogiKal parts list: every table's rows, and the
 * values the bridge's parser must return for the main elevation (`Model.main`), all from one seed.
 * Schema follows logikal-api.md §5.4: real table/column names. parts-list-generator.ts writes it out.
 */
import type { ParsedElevation, ParsedGlass, ParsedPartsList } from '../server/parts/parts-list-parser';

export interface PartsListSpec {
  projectName: string;
  projectGuid: string;
  phaseName: string;
  elevationName: string;
  elevationGuid: string;
  systemCode?: string;
  systemName?: string;
  systemLongName?: string;
  colorBaseLong?: string;
  widthMm: number;
  heightMm: number;
  glassCount?: number;
  alternatives?: number;
  decoyNames?: string[];
  targetBytes?: number;
  seed: number;
}

// ---------------------------------------------------------------------------------------------
// Deterministic data model

export type Cell = string | number | Buffer | null;
export interface Table {
  name: string;
  cols: readonly string[];
  types: readonly string[];
  rows: Cell[][];
}

export function prng(seed: number): () => number {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return (): number => {
    // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export type Rng = () => number;
export const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;
const braced = (guid: string): string => `{${guid.toUpperCase()}}`;
function guidFrom(r: Rng): string {
  const h = (n: number): string => Array.from({ length: n }, () => int(r, 0, 15).toString(16)).join('');
  return braced(`${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(12)}`);
}

const SYSTEMS: ReadonlyArray<[string, string, string]> = [
  ['CP130LS', 'Reynaers ConceptPatio 130-LS (CP 130-LS)', 'Reynaers ConceptPatio 130-LS Lift&Slide'],
  ['CS77', 'Reynaers ConceptSystem 77', 'Reynaers ConceptSystem 77 Functional'],
  ['ML8', 'Reynaers MasterLine 8', 'Reynaers MasterLine 8 Renaissance'],
];
const COLORS = ['RAL 9016 Verkehrsweiß', 'RAL 7016 Anthrazitgrau', 'RAL 9005 Tiefschwarz', 'Eloxal C0 natur'];
const AUTO = [
  ['Fenster 2-flüglig, Dreh-Kipp / Fest', 'DK/F'],
  ['Hebe-Schiebetür 2-teilig', 'HS 2'],
  ['Fenster 1-flüglig, Dreh-Kipp', 'DK'],
  ['Festverglasung mit Oberlicht', 'F/OL'],
] as const;
const GLASS = [
  ['4/16/4 Ug 1,1', '2-fach', '4 / 16 Ar / 4'],
  ['6/14/4/14/6 Ug 0,6', '3-fach', '6 / 14 Kr / 4 / 14 Kr / 6'],
  ['44.2/16/6 VSG', 'VSG', '44.2 / 16 Ar / 6'],
  ['8/16/4 ESG Ug 1,0', 'ESG', '8 / 16 Ar / 4'],
] as const;

export interface ElevRow {
  name: string;
  alternative: number;
  widthMm: number;
  heightMm: number;
  systemCode: string;
  systemName: string;
  systemLongName: string;
  colorBaseLong: string;
  auto: string;
  autoShort: string;
  glassCount: number;
  articles: number;
  profiles: number;
}
/** `main`: what the parser must return for the spec's main elevation (test oracles compare against it). */
export interface Model {
  tables: Table[];
  main: ParsedPartsList;
}

export function elevationDefs(spec: PartsListSpec, r: Rng): ElevRow[] {
  const sys = SYSTEMS.find((s) => s[1] === spec.systemName) ?? pick(r, SYSTEMS);
  const auto = pick(r, AUTO);
  const main: ElevRow = {
    name: spec.elevationName,
    alternative: 0,
    widthMm: spec.widthMm,
    heightMm: spec.heightMm,
    systemCode: spec.systemCode ?? sys[0],
    systemName: spec.systemName ?? sys[1],
    systemLongName: spec.systemLongName ?? sys[2],
    colorBaseLong: spec.colorBaseLong ?? pick(r, COLORS),
    auto: auto[0],
    autoShort: auto[1],
    glassCount: Math.min(4, Math.max(1, spec.glassCount ?? 2)),
    articles: int(r, 20, 40),
    profiles: int(r, 15, 25),
  };
  const other = (name: string, alternative: number): ElevRow => {
    const s = pick(
      r,
      SYSTEMS.filter((x) => x[1] !== main.systemName),
    );
    const a = pick(
      r,
      AUTO.filter((x) => x[0] !== main.auto),
    );
    return {
      name,
      alternative,
      widthMm: main.widthMm + int(r, 50, 900),
      heightMm: main.heightMm + int(r, 10, 300),
      systemCode: s[0],
      systemName: s[1],
      systemLongName: s[2],
      colorBaseLong: pick(
        r,
        COLORS.filter((c) => c !== main.colorBaseLong),
      ),
      auto: a[0],
      autoShort: a[1],
      glassCount: int(r, 1, 4),
      articles: int(r, 4, 10),
      profiles: int(r, 3, 8),
    };
  };
  const rows = [main];
  for (let i = 1; i <= (spec.alternatives ?? 0); i++) rows.push(other(spec.elevationName, i));
  for (const d of spec.decoyNames ?? []) rows.push(other(d, 0));
  return rows;
}

export function buildModel(spec: PartsListSpec, rowsOverride?: ElevRow[]): Model {
  const r = prng(spec.seed);
  const defs = rowsOverride ?? elevationDefs(spec, r);
  const t = (name: string, spec2: string, rows: Cell[][] = []): Table => {
    const parts = spec2.split(',').map((c) => c.trim().split(' '));
    return { name, cols: parts.map((p) => p[0]), types: parts.map((p) => p[1] ?? 'TEXT'), rows };
  };
  const projects = t('Projects', 'ProjectID INTEGER, Name, OfferNo, OrderNo, PersonInCharge, LK_CustomerAddressID INTEGER, xGUID', [
    [1, spec.projectName, `A-${int(r, 10000, 99999)}`, `O-${int(r, 10000, 99999)}`, 'M. Wagner', 1, braced(spec.projectGuid)],
  ]);
  const phases = t('Phases', 'PhaseID INTEGER, ProjectID INTEGER, Name, Info1, xGUID', [
    [1, 1, spec.phaseName, '', spec.phaseName === '' ? '{00000000-0000-0000-0000-000000000000}' : guidFrom(r)],
  ]);
  const groups = t('ElevationGroups', 'ElevationGroupID INTEGER, PhaseID INTEGER', [[1, 1]]);
  const elev = t(
    'Elevations',
    'ElevationID INTEGER, ElevationGroupID INTEGER, Name, Description, Model, AutoDescription, ' +
      'AutoDescriptionShort, Amount INTEGER, Width REAL, Height REAL, Width_Output REAL, Width_Unit, Height_Output REAL, ' +
      'Height_Unit, Weight_Output REAL, Weight_Unit, Area_Output REAL, Area_Unit, SystemCode, SystemName, SystemLongName, ' +
      'ColorBase_Long, Alternative INTEGER, xGUID',
  );
  const single = t(
    'SingleElevations',
    'SingleElevationID INTEGER, ElevationGroupId INTEGER, Name, xGUID, Amount INTEGER, ' +
      'SystemLongName, SystemName, SystemCode, Picture1_File',
  );
  const ins = t('Insertions', 'InsertionID INTEGER, ElevationId INTEGER, GroupID INTEGER, xGUID');
  const glass = t(
    'Glass',
    'GlassID INTEGER, InsertionId INTEGER, Name, NameShort, Description, Configuration, Info1, Info2, ' +
      'Origin, Price REAL, Width_Output REAL, Height_Output REAL, FieldNo, AreaOffer TEXT, SpacerGap_Output REAL, ' +
      'LK_SupplierId INTEGER, ModelType',
  );
  const arts = t(
    'Articles',
    'InsertionId INTEGER, ArticleCode, ArticleCode_Number, Description, Units REAL, Units_Unit, ' +
      'Amount REAL, Price REAL, PUSize REAL, LK_SupplierId INTEGER, Color, ColorInfoInternal',
  );
  const profs = t(
    'Profiles',
    'ProfileID INTEGER, InsertionId INTEGER, ArticleCode, ArticleCode_Number, Description, ' +
      'Length REAL, Length_Output REAL, Length_Unit, Amount INTEGER, Price REAL, LK_SupplierID INTEGER, Color, ' +
      'ColorInfoInternal, OuterColorInfoInternal, InnerColorInfoInternal',
  );
  const offer = t('ReportOfferTexts', 'ElevationId INTEGER, TotalPrice REAL, Description');
  const surface = t('ElevationSurface', 'ElevationId INTEGER, SurfaceColor');
  let main: ParsedPartsList | undefined;
  let insId = 0,
    glassId = 0,
    profId = 0;
  defs.forEach((d, i) => {
    const id = i + 1;
    const area = round((d.widthMm * d.heightMm) / 1e6, 3);
    const weight = round(area * (38 + r() * 12), 2);
    const e: ParsedElevation = {
      autoDescription: d.auto,
      autoDescriptionShort: d.autoShort,
      widthOut: d.widthMm,
      widthUnit: 'mm',
      heightOut: d.heightMm,
      heightUnit: 'mm',
      weightOut: weight,
      weightUnit: 'kg',
      areaOutput: area,
      areaUnit: 'm²',
      systemCode: d.systemCode,
      systemName: d.systemName,
      systemLongName: d.systemLongName,
      colorBaseLong: d.colorBaseLong,
    };
    const eGuid = i === 0 ? braced(spec.elevationGuid) : guidFrom(r);
    elev.rows.push([
      id,
      1,
      d.name,
      d.alternative ? `Alternative ${d.alternative}` : '',
      d.systemCode,
      e.autoDescription,
      e.autoDescriptionShort,
      1,
      d.widthMm,
      d.heightMm,
      e.widthOut,
      'mm',
      e.heightOut,
      'mm',
      e.weightOut,
      'kg',
      e.areaOutput,
      'm²',
      e.systemCode,
      e.systemName,
      e.systemLongName,
      e.colorBaseLong,
      d.alternative,
      eGuid,
    ]);
    single.rows.push([id, 1, d.name, eGuid, 1, d.systemLongName, d.systemName, d.systemCode, `${id}.emf`]);
    offer.rows.push([id, round(area * (420 + r() * 300), 2), d.auto]);
    surface.rows.push([id, d.colorBaseLong]);
    const insIds: number[] = [];
    for (let k = 0, n = int(r, 2, 4); k < n; k++) {
      insIds.push(++insId);
      ins.rows.push([insId, id, k + 1, guidFrom(r)]);
    }
    const g: ParsedGlass[] = [];
    for (let k = 0; k < d.glassCount; k++) {
      const gt = pick(r, GLASS);
      const w = round(d.widthMm / d.glassCount - int(r, 90, 140), 1),
        h = round(d.heightMm - int(r, 150, 260), 1);
      const pg: ParsedGlass = {
        glassId: String(++glassId),
        name: gt[0],
        nameShort: gt[1],
        description: `Isolierglas ${gt[0]}`,
        configuration: gt[2],
        info1: `Pos. ${k + 1}`,
        info2: '',
        origin: pick(r, ['Glas Trösch', 'AGC', 'Saint-Gobain']),
        price: round(((w * h) / 1e6) * (60 + r() * 90), 2),
        widthOutput: w,
        heightOutput: h,
        fieldNo: String(k + 1),
        areaOffer: round(Math.max((w * h) / 1e6, 0.5), 3),
        spacerGapOutput: pick(r, [14, 16, 18]),
        modelType: pick(r, ['Glass', 'Panel']),
      };
      g.push(pg);
      glass.rows.push([
        glassId,
        insIds[k % insIds.length],
        pg.name,
        pg.nameShort,
        pg.description,
        pg.configuration,
        pg.info1,
        pg.info2,
        pg.origin,
        pg.price,
        pg.widthOutput,
        pg.heightOutput,
        pg.fieldNo,
        String(pg.areaOffer),
        pg.spacerGapOutput,
        int(r, 1, 4),
        pg.modelType,
      ]);
    }
    for (let k = 0; k < d.articles; k++) {
      const nr = `${int(r, 100, 999)}.${int(r, 1000, 9999)}`;
      arts.rows.push([
        pick(r, insIds),
        `RY ${nr}`,
        nr,
        pick(r, ['Dichtung EPDM', 'Schraube 4,2x19', 'Eckverbinder', 'Beschlag DK', 'Griff Standard', 'Entwässerungskappe']),
        round(1 + r() * 20, 2),
        pick(r, ['Stk', 'm', 'Set']),
        int(r, 1, 24),
        round(0.2 + r() * 40, 2),
        int(r, 1, 100),
        int(r, 1, 4),
        d.colorBaseLong,
        'RAL',
      ]);
    }
    for (let k = 0; k < d.profiles; k++) {
      const len = int(r, 400, Math.max(500, d.widthMm));
      profs.rows.push([
        ++profId,
        pick(r, insIds),
        `RY ${int(r, 100, 999)}.${int(r, 1000, 9999)}`,
        String(int(r, 1000, 9999)),
        pick(r, ['Blendrahmen', 'Flügelrahmen', 'Sprosse', 'Glasleiste', 'Pfosten']),
        len / 1000,
        len,
        'mm',
        int(r, 1, 4),
        round(5 + r() * 80, 2),
        int(r, 1, 4),
        d.colorBaseLong,
        'RAL',
        'RAL',
        'RAL',
      ]);
    }
    if (i === 0) {
      main = {
        elevation: e,
        glass: g,
        partsCount: d.articles + d.profiles + g.length,
        counts: { articles: d.articles, profiles: d.profiles, glass: g.length },
      };
    }
  });
  const filler = fillerTables(r, t, profs, arts);
  main ??= emptyMain();
  return { tables: [projects, phases, groups, elev, single, ins, glass, arts, profs, offer, surface, ...filler], main };
}

function emptyMain(): ParsedPartsList {
  const n = null;
  return {
    elevation: {
      autoDescription: n,
      autoDescriptionShort: n,
      widthOut: n,
      widthUnit: n,
      heightOut: n,
      heightUnit: n,
      weightOut: n,
      weightUnit: n,
      areaOutput: n,
      areaUnit: n,
      systemCode: n,
      systemName: n,
      systemLongName: n,
      colorBaseLong: n,
    },
    glass: [],
    partsCount: 0,
    counts: { articles: 0, profiles: 0, glass: 0 },
  };
}

function fillerTables(r: Rng, t: (n: string, c: string, rows?: Cell[][]) => Table, profs: Table, arts: Table): Table[] {
  const seq = (n: number, f: (i: number) => Cell[]): Cell[][] => Array.from({ length: n }, (_, i) => f(i + 1));
  const words = ['Montage', 'Zuschnitt', 'Verglasung', 'Beschlag', 'Transport', 'Dichtung', 'Bohren', 'Fräsen'];
  return [
    t(
      'AllArticles',
      'ArticleCode, ArticleCode_Supplier, ArticleCode_Number, ArticleCode_BaseNumber, Description, Units REAL, ' +
        'Units_Unit, Price REAL, PUSize REAL, IsManual INTEGER, Color, ColorInfoInternal',
      arts.rows.map((a) => [a[1], 'Reynaers', a[2], String(a[2]).split('.')[0], a[3], a[4], a[5], a[7], a[8], 0, a[10], a[11]]),
    ),
    t(
      'AllProfiles',
      'ArticleCode, ArticleCode_Supplier, ArticleCode_Number, ArticleCode_BaseNumber, Description, Units REAL, ' +
        'Amount INTEGER, Price REAL, PUSize REAL, IsManual INTEGER, Color, ColorInfoInternal, OuterColorInfoInternal, InnerColorInfoInternal',
      profs.rows.map((p) => [p[2], 'Reynaers', p[3], p[3], p[4], p[5], p[8], p[9], 6.5, 0, p[11], 'RAL', 'RAL', 'RAL']),
    ),
    t(
      'ProfileBars',
      'ProfileBarID INTEGER, ArticleCode_Number, Description, Length_Output REAL, UsedLength_Output REAL, ' +
        'Amount INTEGER, SupplierId INTEGER, Color, ColorInfoInternal, OuterColorInfoInternal, InnerColorInfoInternal',
      seq(Math.ceil(profs.rows.length / 2), (i) => [
        i,
        String(int(r, 1000, 9999)),
        'Stange 6,5 m',
        6500,
        int(r, 3000, 6400),
        1,
        int(r, 1, 4),
        'RAL 9016',
        'RAL',
        'RAL',
        'RAL',
      ]),
    ),
    t(
      'ProfileCuts',
      'ProfileBarId INTEGER, LK_ProfileId INTEGER',
      profs.rows.map((p, i) => [Math.floor(i / 2) + 1, p[0]]),
    ),
    t(
      'Suppliers',
      'SupplierID INTEGER, ActiveTitle, Address1, Address2',
      seq(4, (i) => [i, ['Reynaers Aluminium', 'Glas Trösch', 'Roto Frank', 'SFS intec'][i - 1], 'Straße 1', 'DE']),
    ),
    t(
      'Manufacturers',
      'ManufacturerID INTEGER, Name',
      seq(3, (i) => [i, ['Reynaers', 'Roto', 'Schüco'][i - 1]]),
    ),
    t(
      'Address',
      'AddressID INTEGER, Address2',
      seq(4, (i) => [i, `Adresse ${i}`]),
    ),
    t(
      'LabourTimes',
      'LabourTimeID INTEGER, ElevationId INTEGER, Name, Time REAL, Time_Unit',
      seq(27, (i) => [i, 1, pick(r, words), round(r() * 90, 1), 'min']),
    ),
    t(
      'LabourCosts',
      'LabourCostID INTEGER, ElevationId INTEGER, Name, Cost REAL',
      seq(21, (i) => [i, 1, pick(r, words), round(r() * 120, 2)]),
    ),
    t(
      'CalcItemNames',
      'CalcItemNameID INTEGER, Name',
      seq(35, (i) => [i, `${pick(r, words)} ${i}`]),
    ),
    t(
      'CalcDetailItems',
      'CalcDetailItemID INTEGER, CalcItemNameID INTEGER, Value REAL',
      seq(140, (i) => [i, int(r, 1, 35), round(r() * 500, 2)]),
    ),
    t(
      'MountingLines',
      'MountingLineID INTEGER, ElevationId INTEGER, Name, Length_Output REAL',
      seq(4, (i) => [i, 1, `Linie ${i}`, int(r, 900, 3200)]),
    ),
    t(
      'UValue',
      'Name, U REAL, U_Unit, Area REAL, Area_Unit',
      seq(22, (i) => [`Feld ${i}`, round(0.6 + r() * 1.4, 2), 'W/m²K', round(r() * 3, 3), 'm²']),
    ),
    t(
      'Colors',
      'ColorID INTEGER, Name, ColorInfoInternal',
      seq(6, (i) => [i, COLORS[i % COLORS.length], 'RAL']),
    ),
    t(
      'ElevationCE',
      'ElevationCEID INTEGER, ElevationId INTEGER, Name, Value',
      seq(20, (i) => [i, 1, `CE ${i}`, `Klasse ${int(r, 1, 4)}`]),
    ),
    t(
      'REPORTVARIABLES',
      'subNode, FieldName, SValue',
      seq(60, (i) => [`Node${i % 7}`, `Field${i}`, pick(r, words)]),
    ),
  ];
}
