import { request as httpRequestOf, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequestOf } from 'node:https';

/** One HTTP exchange's outcome: an answer, or why there was none. */
export type HttpOutcome =
  | {
      readonly ok: true;
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      readonly body: string;
    }
  | {
      readonly ok: false;
      readonly error: 'connect-timeout' | 'timeout' | 'unreachable' | 'too-large';
      readonly detail: string;
    };

/** What {@link httpRequest} sends. */
export interface HttpRequestOptions {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** JSON text sent as the body (POST). */
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Time allowed to open the connection (TCP, and TLS for https). @defaultValue 3000 */
  readonly connectTimeoutMs?: number;
  /** Time allowed for the whole exchange. @defaultValue 5000 */
  readonly totalTimeoutMs?: number;
  /** Largest answer kept. @defaultValue 1 MiB */
  readonly maxBodyBytes?: number;
}

/**
 * One HTTP request with Vonage's answer-URL timing: the connection must open within `connectTimeoutMs` and
 * the answer must be complete within `totalTimeoutMs`. It never throws: failures are outcomes.
 */
export function httpRequest(options: HttpRequestOptions): Promise<HttpOutcome> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 3000;
  const totalTimeoutMs = options.totalTimeoutMs ?? 5000;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;

  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      resolve({ ok: false, error: 'unreachable', detail: `not a URL: ${options.url}` });

      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      resolve({ ok: false, error: 'unreachable', detail: `unsupported scheme ${url.protocol}` });

      return;
    }
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (outcome: HttpOutcome): void => {
      if (settled) {
        return;
      }
      settled = true;
      timers.forEach((t) => clearTimeout(t));
      if (!outcome.ok) {
        req.destroy();
      }
      resolve(outcome);
    };
    const headers: Record<string, string> = { 'user-agent': 'confab-voice', ...options.headers };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const make = url.protocol === 'https:' ? httpsRequestOf : httpRequestOf;
    const req = make(url, { method: options.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) {
          finish({ ok: false, error: 'too-large', detail: `answer larger than ${maxBody} bytes` });

          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        finish({
          ok: true,
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', (err) => finish({ ok: false, error: 'unreachable', detail: err.message }));
    });
    timers.push(
      setTimeout(
        () =>
          finish({
            ok: false,
            error: 'connect-timeout',
            detail: `no connection within ${connectTimeoutMs} ms`,
          }),
        connectTimeoutMs,
      ),
      setTimeout(
        () =>
          finish({ ok: false, error: 'timeout', detail: `no complete answer within ${totalTimeoutMs} ms` }),
        totalTimeoutMs,
      ),
    );
    req.on('socket', (socket) => {
      const connected = (): void => {
        clearTimeout(timers[0]);
      };
      if (!socket.connecting) {
        connected();
      } else {
        socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
      }
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, error: 'unreachable', detail: err.code ?? err.message }),
    );
    req.end(options.body);
  });
}
