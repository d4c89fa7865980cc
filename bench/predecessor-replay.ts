// The predecessor's force sync of a project (scrollit/logikal-middleware, as reference/logikal-api.md
// §1.2, §2.2 and §6 describe it), replayed against the emulator for bench/force-sync.bench.ts: strictly
// sequential, a fresh login for every context — one to look the project up, one for the phases, one
// per phase (elevations and thumbnails), one per elevation (its parts list) — and never a logout
// (21 logins for DOS22309). Each parts list is decoded, hashed and written to a file, as it did; its
// parse went to a Celery queue that production never ran, so none happens here.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NULL_GUID = '00000000-0000-0000-0000-000000000000';

interface Listed {
  id: string;
  name: string;
}

export interface ReplayResult {
  seconds: number;
  logins: number;
  partsLists: number;
}

export async function replayPredecessor(opts: {
  url: string;
  username: string;
  password: string;
  directory: string;
  project: string;
}): Promise<ReplayResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lkb-bench-predecessor-'));
  let logins = 0;
  const call = async (token: string | null, method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${opts.url}${path}`, {
      method,
      headers: {
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`predecessor replay: ${method} ${path} → ${res.status} ${await res.text()}`);
    const type = res.headers.get('content-type') ?? '';
    return type.includes('json') ? ((await res.json()) as { data?: unknown }).data : await res.arrayBuffer();
  };
  const login = async (): Promise<string> => {
    logins++;
    const data = (await call(null, 'POST', '/auth', { username: opts.username, password: opts.password, erp: true })) as { token: string };
    return data.token;
  };
  const toProject = async (token: string, projectId: string): Promise<void> => {
    await call(token, 'POST', '/directories/select', { identifier: opts.directory });
    await call(token, 'POST', '/projects/select', { identifier: projectId });
  };

  const t0 = performance.now();
  let partsLists = 0;
  try {
    // 1. Look the project up.
    let token = await login();
    await call(token, 'POST', '/directories/select', { identifier: opts.directory });
    const projects = (await call(token, 'GET', '/projects')) as Listed[];
    const project = projects.find((p) => p.name === opts.project);
    if (!project) throw new Error(`predecessor replay: project ${opts.project} not found`);
    // 2. Its phases.
    token = await login();
    await toProject(token, project.id);
    const phases = (await call(token, 'GET', '/phases')) as Listed[];
    // 3. Each phase's elevations and their thumbnails.
    const work: Array<{ phase: string; elevation: Listed }> = [];
    for (const ph of phases) {
      token = await login();
      await toProject(token, project.id);
      await call(token, 'POST', '/phases/select', { identifier: ph.id || NULL_GUID });
      const elevations = (await call(token, 'GET', '/elevations')) as Listed[];
      for (const e of elevations) {
        await call(
          token,
          'GET',
          `/elevations/${e.id}/thumbnail?width=300&height=300&format=PNG&view=Interior&withdimensions=true&withdescription=false`,
        );
        work.push({ phase: ph.id || NULL_GUID, elevation: e });
      }
    }
    // 4. Each elevation's parts list on a fresh login.
    for (const w of work) {
      token = await login();
      await toProject(token, project.id);
      await call(token, 'POST', '/phases/select', { identifier: w.phase });
      await call(token, 'POST', '/elevations/select', { identifier: w.elevation.id });
      const b64 = (await call(token, 'GET', '/elevations/selected/parts-list')) as string;
      const bytes = Buffer.from(b64, 'base64');
      createHash('sha256').update(bytes).digest('hex');
      writeFileSync(join(dir, `${w.elevation.id}.db`), bytes);
      partsLists++;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { seconds: (performance.now() - t0) / 1000, logins, partsLists };
}
