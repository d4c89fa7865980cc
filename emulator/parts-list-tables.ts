/**
 * Tables of a generated parts list: the row/column types, and the filler tables, the rest of a real
 * file's schema (articles and profiles catalogues, bars and cuts, labour, U-values, report variables…).
 * The parser reads none of the filler; it gives a file the size and shape of a real export.
 */
import { COLORS, int, pick, round, type Rng } from './parts-list-spec';

export type Cell = string | number | Buffer | null;
export interface Table {
  name: string;
  cols: readonly string[];
  types: readonly string[];
  rows: Cell[][];
}

/** A table from a compact column list: `'Name TYPE, Other'` (type defaults to TEXT). */
export function table(name: string, columns: string, rows: Cell[][] = []): Table {
  const parts = columns.split(',').map((c) => c.trim().split(' '));
  return { name, cols: parts.map((p) => p[0]), types: parts.map((p) => p[1] ?? 'TEXT'), rows };
}

/** Filler tables; `profs` and `arts` are the model's Profiles and Articles, which some filler rows copy. */
export function fillerTables(r: Rng, profs: Table, arts: Table): Table[] {
  const seq = (n: number, f: (i: number) => Cell[]): Cell[][] => Array.from({ length: n }, (_, i) => f(i + 1));
  const words = ['Montage', 'Zuschnitt', 'Verglasung', 'Beschlag', 'Transport', 'Dichtung', 'Bohren', 'Fräsen'];
  return [
    table(
      'AllArticles',
      'ArticleCode, ArticleCode_Supplier, ArticleCode_Number, ArticleCode_BaseNumber, Description, Units REAL, ' +
        'Units_Unit, Price REAL, PUSize REAL, IsManual INTEGER, Color, ColorInfoInternal',
      arts.rows.map((a) => [a[1], 'Reynaers', a[2], String(a[2]).split('.')[0], a[3], a[4], a[5], a[7], a[8], 0, a[10], a[11]]),
    ),
    table(
      'AllProfiles',
      'ArticleCode, ArticleCode_Supplier, ArticleCode_Number, ArticleCode_BaseNumber, Description, Units REAL, ' +
        'Amount INTEGER, Price REAL, PUSize REAL, IsManual INTEGER, Color, ColorInfoInternal, OuterColorInfoInternal, InnerColorInfoInternal',
      profs.rows.map((p) => [p[2], 'Reynaers', p[3], p[3], p[4], p[5], p[8], p[9], 6.5, 0, p[11], 'RAL', 'RAL', 'RAL']),
    ),
    table(
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
    table(
      'ProfileCuts',
      'ProfileBarId INTEGER, LK_ProfileId INTEGER',
      profs.rows.map((p, i) => [Math.floor(i / 2) + 1, p[0]]),
    ),
    table(
      'Suppliers',
      'SupplierID INTEGER, ActiveTitle, Address1, Address2',
      seq(4, (i) => [i, ['Reynaers Aluminium', 'Glas Trösch', 'Roto Frank', 'SFS intec'][i - 1], 'Straße 1', 'DE']),
    ),
    table(
      'Manufacturers',
      'ManufacturerID INTEGER, Name',
      seq(3, (i) => [i, ['Reynaers', 'Roto', 'Schüco'][i - 1]]),
    ),
    table(
      'Address',
      'AddressID INTEGER, Address2',
      seq(4, (i) => [i, `Adresse ${i}`]),
    ),
    table(
      'LabourTimes',
      'LabourTimeID INTEGER, ElevationId INTEGER, Name, Time REAL, Time_Unit',
      seq(27, (i) => [i, 1, pick(r, words), round(r() * 90, 1), 'min']),
    ),
    table(
      'LabourCosts',
      'LabourCostID INTEGER, ElevationId INTEGER, Name, Cost REAL',
      seq(21, (i) => [i, 1, pick(r, words), round(r() * 120, 2)]),
    ),
    table(
      'CalcItemNames',
      'CalcItemNameID INTEGER, Name',
      seq(35, (i) => [i, `${pick(r, words)} ${i}`]),
    ),
    table(
      'CalcDetailItems',
      'CalcDetailItemID INTEGER, CalcItemNameID INTEGER, Value REAL',
      seq(140, (i) => [i, int(r, 1, 35), round(r() * 500, 2)]),
    ),
    table(
      'MountingLines',
      'MountingLineID INTEGER, ElevationId INTEGER, Name, Length_Output REAL',
      seq(4, (i) => [i, 1, `Linie ${i}`, int(r, 900, 3200)]),
    ),
    table(
      'UValue',
      'Name, U REAL, U_Unit, Area REAL, Area_Unit',
      seq(22, (i) => [`Feld ${i}`, round(0.6 + r() * 1.4, 2), 'W/m²K', round(r() * 3, 3), 'm²']),
    ),
    table(
      'Colors',
      'ColorID INTEGER, Name, ColorInfoInternal',
      seq(6, (i) => [i, COLORS[i % COLORS.length], 'RAL']),
    ),
    table(
      'ElevationCE',
      'ElevationCEID INTEGER, ElevationId INTEGER, Name, Value',
      seq(20, (i) => [i, 1, `CE ${i}`, `Klasse ${int(r, 1, 4)}`]),
    ),
    table(
      'REPORTVARIABLES',
      'subNode, FieldName, SValue',
      seq(60, (i) => [`Node${i % 7}`, `Field${i}`, pick(r, words)]),
    ),
  ];
}
