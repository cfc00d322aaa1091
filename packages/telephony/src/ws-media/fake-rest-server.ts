/**
 * A local stand-in for a carrier's REST API: records every request and answers from a script,
 * so REST clients are tested over real HTTP (auth header, body encoding, retries).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The body as form parameters (repeated names → arrays). */
  form: Record<string, string | string[]>;
  json: unknown;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export class FakeRestServer {
  readonly requests: RecordedRequest[] = [];
  /** Answers queued for the next requests, in order; when empty `fallback` answers. */
  readonly script: FakeResponse[] = [];
  fallback: (req: RecordedRequest) => FakeResponse = () => ({ status: 200, body: {} });
  readonly #server: Server;
  url = '';

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const form: Record<string, string | string[]> = {};
        for (const [k, v] of new URLSearchParams(body)) {
          const p = form[k];
          form[k] = p === undefined ? v : [p, v].flat();
        }
        let json: unknown;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        const rec = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, form, json };
        this.requests.push(rec);
        const answer = this.script.shift() ?? this.fallback(rec);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
    });
  }

  static async start(): Promise<FakeRestServer> {
    const s = new FakeRestServer();
    await new Promise<void>((r) => s.#server.listen(0, '127.0.0.1', r));
    s.url = `http://127.0.0.1:${(s.#server.address() as AddressInfo).port}`;
    return s;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}
