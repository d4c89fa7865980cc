import { base, configFor, createTestDatabase, type TestDatabase } from './test-env';
import { startApp, type App } from '../../server/bootstrap';

export const BOOTSTRAP_KEY = 'test-bootstrap-key-0123456789abcdef';

export interface RpcAnswer {
  status: number;
  body: any;
  headers: Headers;
}

export interface TestApp {
  app: App;
  url: string;
  db: TestDatabase;
  /** JSON-RPC call by name; `key` defaults to the bootstrap key (null = none). */
  rpc(method: string, params?: unknown, key?: string | null): Promise<any>;
  /** Raw POST to /jsonrpc. */
  post(body: string | object, headers?: Record<string, string>): Promise<RpcAnswer>;
  close(): Promise<void>;
}

let nextId = 1;

export async function startTestApp(env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const config = configFor(db, { BRIDGE_BOOTSTRAP_KEY: BOOTSTRAP_KEY, ...env });
  const app = await startApp(config);
  const post = async (body: string | object, headers: Record<string, string> = {}): Promise<RpcAnswer> => {
    const res = await fetch(`${app.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  return {
    app,
    url: app.url,
    db,
    post,
    async rpc(method, params, key = BOOTSTRAP_KEY) {
      const headers: Record<string, string> = key ? { Authorization: `Bearer ${key}` } : {};
      const r = await post({ jsonrpc: '2.0', method, params, id: nextId++ }, headers);
      return r.body;
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

export { base };
