import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import xmlrpc from 'xmlrpc';
import { Directory, Elevation, ElevationGlass, NULL_GUID, Phase, Project, StoredFile, SyncRun } from '../../entities';
import { fixturesDir } from '../../server/paths';
import { BOOTSTRAP_KEY, startTestApp, type TestApp } from '../helpers/test-app';

/** A real PNG from the fixtures, as LogiKal sends thumbnails. */
export const PNG = readFileSync(
  join(
    fixturesDir(),
    'thumbnails',
    readdirSync(join(fixturesDir(), 'thumbnails'))
      .filter((f) => f.endsWith('.png'))
      .sort()[0],
  ),
);
export const PARTS = Buffer.concat([Buffer.from('SQLite format 3\u0000'), Buffer.alloc(64, 7)]);
export const INJECTION = "x' OR 1=1--";

const at = (s: string): Date => new Date(`${s}Z`);
let guid = 0;
const g = (): string => `00000000-0000-4000-8000-${String(++guid).padStart(12, '0')}`;

export interface Seed {
  dirRoot: number;
  dirSub: number;
  dirGone: number;
  p1: number;
  p2: number;
  pGone: number;
  pLower: number;
  phDefault1: number;
  phA: number;
  phDefault2: number;
  phOld: number;
  pos1: number;
  posX1: number;
  posLower: number;
  door: number;
  fenster: number;
  removed: number;
  oldPhaseEl: number;
  glassNamed: number;
  glassUnnamed: number;
  runOk: number;
  runFailed: number;
}

/**
 * Rows written straight through TypeORM: NULLs, unicode, the null-GUID default phase in two
 * projects, inactive rows, binary thumbnails and a parts list.
 */
export async function seed(ds: EntityManager): Promise<Seed> {
  const dirs = ds.getRepository(Directory);
  const dirRoot = (
    await dirs.save({ path: 'Demo Odoo', name: 'Demo Odoo', parentId: null, active: true, lastSyncedAt: at('2026-03-01 08:00:00') })
  ).id;
  const dirSub = (await dirs.save({ path: 'Demo Odoo/Sub 1', name: 'Sub 1', parentId: dirRoot, active: true, lastSyncedAt: null })).id;
  const dirGone = (await dirs.save({ path: 'Old', name: 'Old', parentId: null, active: false, lastSyncedAt: null })).id;

  const projects = ds.getRepository(Project);
  const base = { offerNumber: null, logikalChangedAt: null, lastSyncedAt: null };
  const p1 = (
    await projects.save({
      ...base,
      logikalId: g(),
      name: 'DOS22309',
      directoryId: dirRoot,
      jobNumber: 'J-1',
      personInCharge: null,
      estimated: true,
      logikalCreatedAt: at('2026-01-15 10:30:00'),
      active: true,
    })
  ).id;
  const p2 = (
    await projects.save({
      ...base,
      logikalId: g(),
      name: 'Ünïcode Straße',
      directoryId: dirSub,
      jobNumber: null,
      personInCharge: 'Zoë',
      estimated: false,
      logikalCreatedAt: at('2026-02-01 00:00:00'),
      active: true,
    })
  ).id;
  const pGone = (
    await projects.save({
      ...base,
      logikalId: g(),
      name: 'Gone',
      directoryId: dirGone,
      jobNumber: 'J-9',
      personInCharge: null,
      estimated: false,
      logikalCreatedAt: null,
      active: false,
    })
  ).id;
  const pLower = (
    await projects.save({
      ...base,
      logikalId: g(),
      name: 'dos lower',
      directoryId: null,
      jobNumber: 'j-2',
      personInCharge: 'Ann',
      estimated: false,
      logikalCreatedAt: at('2026-01-15 23:59:59'),
      active: true,
    })
  ).id;

  const phases = ds.getRepository(Phase);
  const phDefault1 = (
    await phases.save({ logikalId: NULL_GUID, projectId: p1, name: 'Default', description: null, lastSyncedAt: null, active: true })
  ).id;
  const phA = (
    await phases.save({ logikalId: g(), projectId: p1, name: 'Phase A', description: 'first floor', lastSyncedAt: null, active: true })
  ).id;
  const phDefault2 = (
    await phases.save({ logikalId: NULL_GUID, projectId: p2, name: 'Default', description: null, lastSyncedAt: null, active: true })
  ).id;
  const phOld = (
    await phases.save({ logikalId: g(), projectId: p1, name: 'Old Phase', description: null, lastSyncedAt: null, active: false })
  ).id;

  const els = ds.getRepository(Elevation);
  const el = async (e: Partial<Elevation>): Promise<number> =>
    (
      await els.save({
        logikalId: g(),
        versionId: null,
        amount: null,
        width: null,
        height: null,
        automaticDescription: null,
        systemDescription: null,
        modelDescription: null,
        userDescription: null,
        logikalChangedAt: null,
        thumbnailFileId: null,
        thumbnailSha256: null,
        partsListFileId: null,
        partsListSha256: null,
        partsListSize: null,
        partsListSyncedAt: null,
        autoDescription: null,
        autoDescriptionShort: null,
        widthOut: null,
        widthUnit: null,
        heightOut: null,
        heightUnit: null,
        weightOut: null,
        weightUnit: null,
        areaOutput: null,
        areaUnit: null,
        systemCode: null,
        systemName: null,
        systemLongName: null,
        colorBaseLong: null,
        partsCount: null,
        parseStatus: 'pending',
        parseError: null,
        lastSyncedAt: null,
        active: true,
        ...e,
      } as Elevation)
    ).id;
  const file = async (content: Buffer): Promise<number> =>
    (
      await ds.getRepository(StoredFile).save({
        sha256: createHash('sha256').update(content).digest('hex'),
        size: content.length,
        content,
        createdAt: new Date(),
      })
    ).id;
  const pos1 = await el({
    projectId: p1,
    phaseId: phA,
    name: 'Pos_1',
    amount: 2,
    width: 1200,
    height: 2400,
    systemName: 'AWS 75',
    thumbnailFileId: await file(PNG),
    thumbnailSha256: 'a'.repeat(64),
    partsListFileId: await file(PARTS),
    partsListSize: PARTS.length,
    partsCount: 42,
    parseStatus: 'success',
    logikalChangedAt: at('2026-03-02 14:05:09'),
  });
  const posX1 = await el({ projectId: p1, phaseId: phA, name: 'PosX1', height: 1000, parseStatus: 'failed', parseError: 'corrupt' });
  const posLower = await el({ projectId: p1, phaseId: phA, name: 'pos 2 lower', width: 800, height: 1000, systemName: 'aws 75' });
  const door = await el({ projectId: p1, phaseId: phDefault1, name: INJECTION, width: 900, userDescription: '100% wood_grain' });
  const fenster = await el({ projectId: p2, phaseId: phDefault2, name: 'Fenster Ärger', width: 1500, systemName: 'ÄRGER-System' });
  const removed = await el({ projectId: p1, phaseId: phA, name: 'Removed', width: 700, active: false });
  const oldPhaseEl = await el({ projectId: p1, phaseId: phOld, name: 'In old phase', width: 600, active: false });

  const glass = ds.getRepository(ElevationGlass);
  const gl = {
    nameShort: null,
    description: null,
    configuration: null,
    info1: null,
    info2: null,
    origin: null,
    widthOutput: null,
    heightOutput: null,
    fieldNo: null,
    areaOffer: null,
    spacerGapOutput: null,
    modelType: null,
  };
  const glassNamed = (await glass.save({ ...gl, elevationId: pos1, glassId: 'G-1', name: '4/16/4 Float', price: 12.5 })).id;
  const glassUnnamed = (await glass.save({ ...gl, elevationId: pos1, glassId: 'G-2', name: null, price: null })).id;

  const runs = ds.getRepository(SyncRun);
  const r = {
    phasesSynced: 2,
    elevationsSynced: 17,
    elevationsTotal: 17,
    partsListsSynced: 17,
    partsListsFailed: 0,
    partsListsUnchanged: 0,
    thumbnailsSynced: 17,
    heartbeatAt: null,
  };
  const runOk = (
    await runs.save({
      ...r,
      kind: 'force_project',
      target: 'Demo Odoo/DOS22309',
      targetKey: 'project:a',
      projectId: p1,
      state: 'succeeded',
      message: 'ok',
      failures: [],
      requestedBy: 'test',
      startedAt: at('2026-03-02 10:00:00'),
      finishedAt: at('2026-03-02 10:01:30'),
    })
  ).id;
  const runFailed = (
    await runs.save({
      ...r,
      kind: 'project',
      target: 'Demo Odoo/Gone',
      targetKey: 'project:b',
      projectId: null,
      state: 'partial',
      message: null,
      failures: [{ elevation: 'Pos 9', reason: 'parts list corrupt' }],
      requestedBy: null,
      startedAt: at('2026-03-03 10:00:00'),
      finishedAt: null,
    })
  ).id;

  return {
    dirRoot,
    dirSub,
    dirGone,
    p1,
    p2,
    pGone,
    pLower,
    phDefault1,
    phA,
    phDefault2,
    phOld,
    pos1,
    posX1,
    posLower,
    door,
    fenster,
    removed,
    oldPhaseEl,
    glassNamed,
    glassUnnamed,
    runOk,
    runFailed,
  };
}

export interface OdooAnswer {
  result?: any;
  error?: any;
}

/** Odoo's JSON-RPC as Odoo clients send it: the `call` envelope on /jsonrpc, the key as password. */
export class OdooJsonRpc {
  uid = 0;
  constructor(
    readonly t: TestApp,
    readonly key = BOOTSTRAP_KEY,
    readonly db = 'logikal',
  ) {}

  async call(service: string, method: string, args: unknown[]): Promise<OdooAnswer> {
    const r = await this.t.post({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id: 1 });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    return r.body;
  }

  async login(): Promise<this> {
    const r = await this.call('common', 'login', [this.db, 'odoo', this.key]);
    if (typeof r.result !== 'number') throw new Error(`login failed: ${JSON.stringify(r)}`);
    this.uid = r.result;
    return this;
  }

  kw(model: string, method: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): Promise<OdooAnswer> {
    return this.call('object', 'execute_kw', [this.db, this.uid, this.key, model, method, args, kwargs]);
  }

  /** The result, or a thrown error with Odoo's data.message. */
  async ok(model: string, method: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): Promise<any> {
    const r = await this.kw(model, method, args, kwargs);
    if (r.error) throw new Error(`${r.error.data?.name}: ${r.error.data?.message}`);
    return r.result;
  }

  /** ids matching a domain on a model, sorted. */
  async ids(model: string, domain: unknown[], context?: Record<string, unknown>): Promise<number[]> {
    return ((await this.ok(model, 'search', [domain], context ? { context } : {})) as number[]).sort((a, b) => a - b);
  }
}

/** The `xmlrpc` package's client: what odoo-await and odoo-xmlrpc use. */
export function xmlCall(url: string, service: string, method: string, params: unknown[]): Promise<any> {
  const u = new URL(url);
  const client = xmlrpc.createClient({ host: u.hostname, port: Number(u.port), path: `/xmlrpc/2/${service}` });
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- @types/xmlrpc types it Object; xmlrpc passes an Error
  return new Promise((resolve, reject) => client.methodCall(method, params, (err, value) => (err ? reject(err) : resolve(value))));
}

/** A JSON-2 call (POST /json/2/<model>/<method>): the HTTP status and the parsed body. */
export async function json2(
  url: string,
  model: string,
  method: string,
  body: unknown,
  key: string | null = BOOTSTRAP_KEY,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${url}/json/2/${model}/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `bearer ${key}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** A bridge on a fresh database with the seed rows and a logged-in Odoo client: every Odoo suite's setup. */
export async function seededApp(env: Record<string, string> = {}): Promise<{ t: TestApp; s: Seed; odoo: OdooJsonRpc }> {
  const t = await startTestApp(env);
  const s = await t.app.services.db.write((m) => seed(m));
  return { t, s, odoo: await new OdooJsonRpc(t).login() };
}
