import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getLogger } from '../server/logging';

const log = getLogger('emulator');

/**
 * The emulator's HTTP listener: tracks sockets so stop() can cut hung replies at once, and can
 * close its port for a 'refuse' outage (new connections get ECONNREFUSED, open ones drop) and
 * listen again on the same port and address afterwards.
 */
export class Listener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Sockets answering a control request: a 'refuse' outage set by that request lets it finish its reply. */
  private readonly spared = new Set<Socket>();
  private bound: { port: number; host: string } | undefined;
  private reopening: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(handle: (req: IncomingMessage, res: ServerResponse) => void) {
    this.server = createServer(handle);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens (port 0 = a free one) and returns the port. */
  async listen(port: number, host: string): Promise<number> {
    await this.bind(port, host);
    const addr = this.server.address();
    const bound = typeof addr === 'object' && addr ? addr.port : 0;
    this.bound = { port: bound, host };
    return bound;
  }

  /** Runs `fn` (a control request) with its socket spared by a 'refuse' outage it may start. */
  async sparing<T>(socket: Socket, fn: () => Promise<T>): Promise<T> {
    this.spared.add(socket);
    try {
      return await fn();
    } finally {
      this.spared.delete(socket);
    }
  }

  /** Starts a 'refuse' outage. */
  refuse(): void {
    if (!this.server.listening) return;
    this.server.close();
    for (const s of this.sockets) if (!this.spared.has(s)) s.destroy();
  }

  /** Ends a 'refuse' outage in the background; {@link ready} resolves once the port is open again. */
  reopen(): void {
    if (this.server.listening || this.closed || !this.bound) return;
    const { port, host } = this.bound;
    this.reopening = this.reopening
      .then(() => (this.server.listening || this.closed ? undefined : this.bind(port, host)))
      .catch((err: unknown) => {
        log.error('emulator could not listen again after a refuse outage', { err, port });
      });
  }

  ready(): Promise<void> {
    return this.reopening;
  }

  /** Closes the port and every socket at once, including hung replies. */
  close(): Promise<void> {
    this.closed = true;
    return new Promise<void>((resolve) => {
      // Already closed by a 'refuse' outage: close() answers ERR_SERVER_NOT_RUNNING, which is fine.
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
    });
  }

  private bind(port: number, host: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }
}
