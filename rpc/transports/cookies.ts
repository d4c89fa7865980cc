import type { IncomingMessage } from 'node:http';

/** The value of one cookie of the request, if sent. */
export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  sameSite: 'Strict' | 'Lax';
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
}

/** A Set-Cookie value: always HttpOnly (no script ever reads a session) and for the whole site. */
export function setCookie(name: string, value: string, opts: CookieOptions): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=${opts.sameSite}; Max-Age=${opts.maxAge}`;
}
