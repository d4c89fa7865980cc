/**
 * What a generated LogiKal parts list is made from: the spec, the seeded PRNG every value is drawn
 * from, the system/colour/glass catalogues, and the elevation rows (main, alternatives, decoys)
 * derived from the spec. parts-list-model.ts turns these into tables.
 */

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
// Deterministic random values

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
export const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;
export const braced = (guid: string): string => `{${guid.toUpperCase()}}`;
export function guidFrom(r: Rng): string {
  const h = (n: number): string => Array.from({ length: n }, () => int(r, 0, 15).toString(16)).join('');
  return braced(`${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(12)}`);
}

// ---------------------------------------------------------------------------------------------
// Catalogues and elevation definitions

const SYSTEMS: ReadonlyArray<[string, string, string]> = [
  ['CP130LS', 'Reynaers ConceptPatio 130-LS (CP 130-LS)', 'Reynaers ConceptPatio 130-LS Lift&Slide'],
  ['CS77', 'Reynaers ConceptSystem 77', 'Reynaers ConceptSystem 77 Functional'],
  ['ML8', 'Reynaers MasterLine 8', 'Reynaers MasterLine 8 Renaissance'],
];
export const COLORS = ['RAL 9016 Verkehrsweiß', 'RAL 7016 Anthrazitgrau', 'RAL 9005 Tiefschwarz', 'Eloxal C0 natur'];
const AUTO = [
  ['Fenster 2-flüglig, Dreh-Kipp / Fest', 'DK/F'],
  ['Hebe-Schiebetür 2-teilig', 'HS 2'],
  ['Fenster 1-flüglig, Dreh-Kipp', 'DK'],
  ['Festverglasung mit Oberlicht', 'F/OL'],
] as const;
export const GLASS = [
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
