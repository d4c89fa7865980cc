// autocannon ships no types: the part of its programmatic API the benchmarks use.
declare module 'autocannon' {
  namespace autocannon {
    interface Histogram {
      average: number;
      mean: number;
      p50: number;
      p99: number;
      total: number;
      max: number;
    }
    interface Result {
      requests: Histogram;
      latency: Histogram;
      duration: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
    }
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
      /** Called before each send of this request: return it with a fresh body, e.g. another record id. */
      setupRequest?: (req: Request) => Request;
    }
    interface Options {
      url: string;
      /** Sent in turn by every connection, round and round (instead of one method/body). */
      requests?: Request[];
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      connections?: number;
      duration?: number;
      /** seconds */
      timeout?: number;
      /** a falsy return counts the response in `mismatches` */
      verifyBody?: (body: string) => boolean;
    }
    interface Instance extends Promise<Result> {
      stop(): void;
    }
  }
  function autocannon(opts: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
