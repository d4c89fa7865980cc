import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadFixture } from '../../emulator/fixture';
import { addGeneratedProjects } from '../../emulator/generated-projects';
import { fixturesDir } from '../../server/paths';
import { PartsListParser } from '../../server/parts/parts-list-parser';
import { Api, NULL_GUID, THUMB_QUERY, withEmulator } from './emu-http';

const CLI = join(__dirname, '..', '..', 'server', 'cli', 'index.js');
const demo = () => loadFixture(join(fixturesDir(), 'demo.json'));

interface Listed {
  id: string;
  name: string;
}

/** A fresh session walked down to one elevation of a generated project; returns the parts list's bytes. */
async function downloadPartsList(api: Api, dir: string, project: string, phase: string, elevation: string): Promise<Buffer> {
  await api.login();
  assert.equal((await api.select('directories', dir)).status, 200);
  assert.equal((await api.select('projects', project)).status, 200);
  assert.equal((await api.select('phases', phase)).status, 200);
  assert.equal((await api.select('elevations', elevation)).status, 200);
  const r = await api.call('GET', '/elevations/selected/parts-list');
  await api.call('DELETE', '/auth');
  return r.status === 200 ? Buffer.from(r.json.data as string, 'base64') : Buffer.alloc(0);
}

describe('emulator generated projects', () => {
  it('are the same for the same seed: ~7 elevations each, a default phase with the null GUID, fixture thumbnails', () => {
    const a = addGeneratedProjects(demo(), { count: 50, seed: 7 });
    const b = addGeneratedProjects(demo(), { count: 50, seed: 7 });
    const other = addGeneratedProjects(demo(), { count: 50, seed: 8 });
    assert.deepEqual(a.fixture, b.fixture);
    assert.deepEqual(a.directories, ['Generated 01', 'Generated 02']);
    const generated = a.fixture.directories.filter((d) => a.directories.includes(d.path));
    const projects = generated.flatMap((d) => d.projects ?? []);
    assert.equal(projects.length, 50);
    assert.deepEqual(
      generated.map((d) => d.projects!.length),
      [25, 25],
    );
    const elevations = projects.flatMap((p) => p.phases.flatMap((ph) => ph.elevations));
    assert.equal(elevations.length, a.elevations);
    assert.equal(a.elevations, 350);
    assert.ok(projects.every((p) => p.phases.reduce((n, ph) => n + ph.elevations.length, 0) >= 5));
    for (const p of projects) {
      assert.ok(p.phases.length === 1 || p.phases.length === 2, `${p.name}: ${p.phases.length} phases`);
      assert.equal(p.phases[0].id, NULL_GUID);
      assert.ok(
        p.phases.every((ph) => ph.elevations.length > 0),
        `${p.name} has an empty phase`,
      );
    }
    assert.ok(projects.some((p) => p.phases.length === 2) && projects.some((p) => p.phases.length === 1));
    for (const e of elevations) assert.ok(existsSync(join(fixturesDir(), 'thumbnails', e.thumbnail!)), e.thumbnail);
    // The source's projects are still there, untouched.
    assert.deepEqual(a.fixture.directories.slice(0, demo().directories.length), demo().directories);
    const otherIds = new Set(other.fixture.directories.flatMap((d) => (d.projects ?? []).map((p) => p.id)));
    assert.ok(
      projects.every((p) => !otherIds.has(p.id)),
      'another seed gives other project GUIDs',
    );
  });

  it('refuses a count that is not a whole number and a fixture that already has the directory', () => {
    assert.throws(() => addGeneratedProjects(demo(), { count: 2.5 }), /count must be an integer/);
    const once = addGeneratedProjects(demo(), { count: 1 }).fixture;
    assert.throws(() => addGeneratedProjects(once, { count: 1 }), /already has a directory "Generated 01"/);
  });

  it('are served like fixture projects: listed, walked, real parts lists and the fixture thumbnails', async () => {
    await withEmulator({ generateProjects: { count: 3, perDirectory: 2, seed: 3 } }, async (emu, api) => {
      assert.deepEqual(emu.generatedDirectories, ['Generated 01', 'Generated 02']);
      await api.login();
      const roots = (await api.call('GET', '/directories')).json.data as Array<{ path: string }>;
      assert.deepEqual(
        roots.map((d) => d.path),
        ['Demo Odoo', 'Generated 01', 'Generated 02'],
      );
      await api.select('directories', 'Generated 01');
      const projects = (await api.call('GET', '/projects')).json.data as Listed[];
      assert.deepEqual(
        projects.map((p) => p.name),
        ['GEN03-0001', 'GEN03-0002'],
      );
      await api.select('projects', projects[0].id);
      const phases = (await api.call('GET', '/phases')).json.data as Listed[];
      assert.equal(phases[0].id, NULL_GUID);
      await api.select('phases', NULL_GUID);
      const els = (await api.call('GET', '/elevations')).json.data as Listed[];
      assert.ok(els.length >= 1);
      const home = emu.fixture.directories.find((d) => d.path === 'Generated 01')!.projects![0].phases[0].elevations[0];
      const thumb = await api.call('GET', `/elevations/${els[0].id}/thumbnail?${THUMB_QUERY}`);
      assert.deepEqual(thumb.bytes, readFileSync(join(fixturesDir(), 'thumbnails', home.thumbnail!)));

      const bytes = await downloadPartsList(new Api(emu.url), 'Generated 01', projects[0].id, NULL_GUID, els[0].id);
      const tempDir = mkdtempSync(join(tmpdir(), 'lkb-gen-parse-'));
      try {
        const parsed = await new PartsListParser({ tempDir }).parse(bytes, els[0].name);
        assert.equal(parsed.elevation.systemName, home.partsList!.systemName);
        assert.ok(parsed.partsCount > 0);
      } finally {
        rmSync(tempDir, { recursive: true, force: true });
      }
    });
  });

  it('counts parts lists delivered per elevation; a cut-off one is not a download', async () => {
    await withEmulator({ generateProjects: { count: 1, seed: 5 } }, async (emu) => {
      const project = emu.fixture.directories.find((d) => d.path === 'Generated 01')!.projects![0];
      const [first, second] =
        project.phases[0].elevations.length > 1 ? project.phases[0].elevations : project.phases.map((p) => p.elevations[0]);
      const phaseOf = (id: string) => project.phases.find((ph) => ph.elevations.some((e) => e.id === id))!.id;
      const get = (id: string) => downloadPartsList(new Api(emu.url), 'Generated 01', project.id, phaseOf(id), id);
      const a = await get(first.id);
      await get(first.id);
      emu.setFaults({ script: [{ endpoint: 'GET /elevations/selected/parts-list', kind: 'cutOff' }] });
      await get(second.id).catch(() => Buffer.alloc(0));
      const b = await get(second.id);
      const s = emu.stats();
      assert.equal(s.partsListDownloads, 3);
      assert.equal(s.partsListElevations, 2);
      assert.deepEqual(s.partsListDownloadsByElevation, {
        [first.id]: { downloads: 2, bytes: a.length },
        [second.id]: { downloads: 1, bytes: b.length },
      });
      assert.equal(s.callsByEndpoint['GET /elevations/selected/parts-list'], 4);
      emu.resetStats();
      assert.equal(emu.stats().partsListDownloads, 0);
      assert.deepEqual(emu.stats().partsListDownloadsByElevation, {});
    });
  });

  it('pregenerates every parts list before it listens, so a download generates none', async () => {
    await withEmulator({ generateProjects: { count: 2 }, pregeneratePartsLists: true }, async (emu) => {
      const all = emu.fixture.directories.flatMap(function walk(d): number[] {
        return [
          (d.projects ?? []).reduce((n, p) => n + p.phases.reduce((m, ph) => m + ph.elevations.length, 0), 0),
          ...(d.children ?? []).flatMap(walk),
        ];
      });
      const total = all.reduce((n, x) => n + x, 0);
      assert.equal(emu.stats().partsListsGenerated, total);
      const project = emu.fixture.directories.find((d) => d.path === 'Generated 01')!.projects![0];
      await downloadPartsList(new Api(emu.url), 'Generated 01', project.id, NULL_GUID, project.phases[0].elevations[0].id);
      assert.equal(emu.stats().partsListsGenerated, total);
    });
  });
});

describe('emulator licence time (sessionSeconds)', () => {
  it('sums how long each session was open: logged-out ones until the logout, open ones until now', async () => {
    await withEmulator({}, async (emu) => {
      const a = new Api(emu.url);
      const b = new Api(emu.url);
      await a.login();
      await b.login();
      await sleep(300);
      await a.call('DELETE', '/auth');
      await sleep(300);
      const s = emu.stats().sessionSeconds;
      // a: 0.3 s, b: 0.6 s and counting.
      assert.ok(s >= 0.85 && s < 1.3, `sessionSeconds ${s}`);
      emu.resetStats();
      await sleep(200);
      const after = emu.stats().sessionSeconds;
      assert.ok(after >= 0.18 && after < 0.5, `after a reset, only b's time since it: ${after}`);
    });
  });

  it('sums the modelled latency of the calls it answered (LogiKal working time), the time sessions were held and sat idle', async () => {
    await withEmulator({ latencyScale: 1, latency: { login: 0.2, logout: 0.05, directories: 0.1 } }, async (emu, api) => {
      await api.login();
      await api.call('GET', '/directories');
      await sleep(300);
      await api.call('DELETE', '/auth');
      const s = emu.stats();
      assert.ok(Math.abs(s.latencySeconds - 0.35) < 1e-9, `latencySeconds ${s.latencySeconds}`);
      // Held from the login's start (the session exists while its latency runs) to the logout: idle time included.
      assert.ok(s.sessionSeconds >= 0.6 && s.sessionSeconds < 0.9, `sessionSeconds ${s.sessionSeconds}`);
      // Idle after the listing: the 0.3 s pause; after the login only the client's turnaround.
      const idle = s.idleSecondsAfter;
      assert.ok(idle['GET /directories'] >= 0.29 && idle['GET /directories'] < 0.45, `idle after the listing ${idle['GET /directories']}`);
      assert.ok((idle['POST /auth'] ?? 0) < 0.1, `idle after the login ${idle['POST /auth']}`);
      assert.ok(
        Object.keys(idle).every((k) => k === 'GET /directories' || k === 'POST /auth'),
        Object.keys(idle).join(),
      );
    });
  });

  it('counts an idle-expired session until it expired, not until it was noticed', async () => {
    await withEmulator({ idleExpirySeconds: 0.2 }, async (emu, api) => {
      await api.login();
      await sleep(700);
      const s = emu.stats();
      assert.equal(s.expiredSessions, 1);
      assert.ok(s.sessionSeconds >= 0.18 && s.sessionSeconds < 0.45, `sessionSeconds ${s.sessionSeconds}`);
    });
  });
});

describe('logikal-bridge emulator --generate-projects', () => {
  it('serves the generated projects and names their directories for TRACKED_DIRECTORIES', async () => {
    const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', '--generate-projects', '30', '--generate-seed', '4'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const deadline = Date.now() + 20_000;
      while (!/TRACKED_DIRECTORIES=.*\n/.test(out) && Date.now() < deadline && child.exitCode === null) await sleep(50);
      assert.match(out, /TRACKED_DIRECTORIES=Generated 01,Generated 02\n/);
      const url = /LogiKal emulator at (\S+)/.exec(out)![1];
      const api = new Api(url);
      await api.login();
      await api.select('directories', 'Generated 02');
      const projects = (await api.call('GET', '/projects')).json.data as Listed[];
      assert.deepEqual(
        projects.map((p) => p.name),
        ['GEN04-0026', 'GEN04-0027', 'GEN04-0028', 'GEN04-0029', 'GEN04-0030'],
      );
      const expected = addGeneratedProjects(demo(), { count: 30, seed: 4 }).fixture.directories.find((d) => d.path === 'Generated 02')!;
      assert.deepEqual(
        projects.map((p) => p.id),
        expected.projects!.map((p) => p.id),
      );
    } finally {
      child.kill('SIGTERM');
    }
  });
});
