import { startEmulator, type EmulatorOptions, type LogikalEmulator } from '../../emulator/index';

import { NULL_GUID } from '../../server/guid';
export { NULL_GUID };
export const DOS22309 = '5ddb1393-56eb-4280-9f7e-3c3aec51483c';
export const DOS22410 = '15782e4d-a69c-4ce5-9c17-d3060a039b2d';
export const DOS22269 = 'f584ee63-90d9-4903-9e5f-96f8fc2837fe';
export const THUMB_QUERY = 'width=300&height=300&format=PNG&view=Interior&withdimensions=true&withdescription=false';

export interface ApiResult {
  status: number;
  json: any; // test-only: response shapes are asserted field by field
  bytes: Buffer;
  contentType: string | null;
}

/** A tiny raw-HTTP client: the emulator is tested over the wire, not through our own client. */
export class Api {
  token: string | undefined;
  constructor(readonly base: string) {}

  async call(method: string, path: string, body?: unknown, token = this.token): Promise<ApiResult> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      json = undefined;
    }
    return { status: res.status, json, bytes, contentType: res.headers.get('content-type') };
  }

  async login(username = 'odoo', password = 'logikal-demo'): Promise<ApiResult> {
    const r = await this.call('POST', '/auth', { username, password, erp: true }, undefined);
    if (r.status === 200) this.token = r.json.data.token;
    return r;
  }

  async select(kind: 'directories' | 'projects' | 'phases' | 'elevations', identifier: string): Promise<ApiResult> {
    return this.call('POST', `/${kind}/select`, { identifier });
  }

  /** login → Demo Odoo → project → phase, asserting nothing; returns the elevation list. */
  async toPhase(project = DOS22309, phase = NULL_GUID): Promise<Array<{ id: string; name: string }>> {
    await this.login();
    await this.select('directories', 'Demo Odoo');
    await this.select('projects', project);
    await this.select('phases', phase);
    return (await this.call('GET', '/elevations')).json.data;
  }
}

export async function withEmulator(opts: EmulatorOptions, fn: (emu: LogikalEmulator, api: Api) => Promise<void>): Promise<void> {
  const emu = await startEmulator({ latencyScale: 0, ...opts });
  try {
    await fn(emu, new Api(emu.url));
  } finally {
    await emu.stop();
  }
}
