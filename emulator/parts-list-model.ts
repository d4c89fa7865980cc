/**
 * The deterministic data model behind a generated LogiKal parts list: every table's rows, and the
 * values the bridge's parser must return for the main elevation (`Model.main`), all from one seed.
 * Schema follows logikal-api.md §5.4: real table/column names. parts-list-generator.ts writes it out;
 * the spec, PRNG and elevation definitions live in parts-list-spec.ts, the filler tables in parts-list-tables.ts.
 */
import type { ParsedElevation, ParsedGlass, ParsedPartsList } from '../server/parts/parts-list-parser';
import { braced, elevationDefs, GLASS, guidFrom, int, pick, prng, round } from './parts-list-spec';
import type { ElevRow, PartsListSpec } from './parts-list-spec';
import { fillerTables, table } from './parts-list-tables';
import type { Table } from './parts-list-tables';

export { elevationDefs, int, pick, prng } from './parts-list-spec';
export type { ElevRow, PartsListSpec, Rng } from './parts-list-spec';
export type { Cell, Table } from './parts-list-tables';

/** `main`: what the parser must return for the spec's main elevation (test oracles compare against it). */
export interface Model {
  tables: Table[];
  main: ParsedPartsList;
}

export function buildModel(spec: PartsListSpec, rowsOverride?: ElevRow[]): Model {
  const r = prng(spec.seed);
  const defs = rowsOverride ?? elevationDefs(spec, r);
  const projects = table('Projects', 'ProjectID INTEGER, Name, OfferNo, OrderNo, PersonInCharge, LK_CustomerAddressID INTEGER, xGUID', [
    [1, spec.projectName, `A-${int(r, 10000, 99999)}`, `O-${int(r, 10000, 99999)}`, 'M. Wagner', 1, braced(spec.projectGuid)],
  ]);
  const phases = table('Phases', 'PhaseID INTEGER, ProjectID INTEGER, Name, Info1, xGUID', [
    [1, 1, spec.phaseName, '', spec.phaseName === '' ? '{00000000-0000-0000-0000-000000000000}' : guidFrom(r)],
  ]);
  const groups = table('ElevationGroups', 'ElevationGroupID INTEGER, PhaseID INTEGER', [[1, 1]]);
  const elev = table(
    'Elevations',
    'ElevationID INTEGER, ElevationGroupID INTEGER, Name, Description, Model, AutoDescription, ' +
      'AutoDescriptionShort, Amount INTEGER, Width REAL, Height REAL, Width_Output REAL, Width_Unit, Height_Output REAL, ' +
      'Height_Unit, Weight_Output REAL, Weight_Unit, Area_Output REAL, Area_Unit, SystemCode, SystemName, SystemLongName, ' +
      'ColorBase_Long, Alternative INTEGER, xGUID',
  );
  const single = table(
    'SingleElevations',
    'SingleElevationID INTEGER, ElevationGroupId INTEGER, Name, xGUID, Amount INTEGER, ' +
      'SystemLongName, SystemName, SystemCode, Picture1_File',
  );
  const ins = table('Insertions', 'InsertionID INTEGER, ElevationId INTEGER, GroupID INTEGER, xGUID');
  const glass = table(
    'Glass',
    'GlassID INTEGER, InsertionId INTEGER, Name, NameShort, Description, Configuration, Info1, Info2, ' +
      'Origin, Price REAL, Width_Output REAL, Height_Output REAL, FieldNo, AreaOffer TEXT, SpacerGap_Output REAL, ' +
      'LK_SupplierId INTEGER, ModelType',
  );
  const arts = table(
    'Articles',
    'InsertionId INTEGER, ArticleCode, ArticleCode_Number, Description, Units REAL, Units_Unit, ' +
      'Amount REAL, Price REAL, PUSize REAL, LK_SupplierId INTEGER, Color, ColorInfoInternal',
  );
  const profs = table(
    'Profiles',
    'ProfileID INTEGER, InsertionId INTEGER, ArticleCode, ArticleCode_Number, Description, ' +
      'Length REAL, Length_Output REAL, Length_Unit, Amount INTEGER, Price REAL, LK_SupplierID INTEGER, Color, ' +
      'ColorInfoInternal, OuterColorInfoInternal, InnerColorInfoInternal',
  );
  const offer = table('ReportOfferTexts', 'ElevationId INTEGER, TotalPrice REAL, Description');
  const surface = table('ElevationSurface', 'ElevationId INTEGER, SurfaceColor');
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
  const filler = fillerTables(r, profs, arts);
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
