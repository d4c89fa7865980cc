/**
 * Test oracles for the generated parts lists: what the parser must return for a spec, every hostile
 * kind, and the spec the parts tests start from. The emulator itself needs none of this.
 */
import type { ParsedPartsList } from '../../server/parts/parts-list-parser';
import { buildModel, type PartsListSpec } from '../../emulator/parts-list-model';
import type { HostileKind } from '../../emulator/parts-list-generator';

/** Values the parser must return for the spec's main elevation (same model the file is built from). */
export function expectedPartsList(spec: PartsListSpec): ParsedPartsList {
  return buildModel(spec).main;
}

/** One entry per kind: the compiler refuses a kind missing here. */
const KINDS: Record<HostileKind, true> = {
  'not-sqlite': true,
  truncated: true,
  'empty-file': true,
  'missing-glass': true,
  'lowercase-columns': true,
  'empty-elevations': true,
  oversize: true,
  'elevations-view': true,
  trigger: true,
  'name-quotes': true,
  'no-matching-row': true,
  'bit-flips': true,
};
export const HOSTILE_KINDS: readonly HostileKind[] = Object.keys(KINDS) as HostileKind[];

export function demoSpec(overrides: Partial<PartsListSpec> = {}): PartsListSpec {
  return {
    projectName: 'DOS22410',
    projectGuid: '15782e4d-a69c-4ce5-9c17-d3060a039b2d',
    phaseName: '',
    elevationName: 'P1',
    elevationGuid: '6f1c2b9e-0d4a-4b7e-9a51-3c2d1e0f4a77',
    systemCode: 'ML8',
    systemName: 'Reynaers MasterLine 8',
    systemLongName: 'Reynaers MasterLine 8 Functional',
    colorBaseLong: 'RAL 9016 Verkehrsweiß',
    widthMm: 3100,
    heightMm: 2245,
    glassCount: 2,
    alternatives: 1,
    decoyNames: ['P10'],
    seed: 1,
    ...overrides,
  };
}
