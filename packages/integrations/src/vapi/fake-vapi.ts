/**
 * A local server that speaks Vapi's REST API (protocols.md §8) for the assistant calls the sync
 * makes, on a real socket. Answers are shaped after the recorded responses in `fixtures/`; every
 * request is recorded so a test can assert exactly what reached Vapi. `fail` makes it refuse
 * chosen requests the way Vapi does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import assistantFixture from './fixtures/assistant.json' with { type: 'json' };
import badRequestFixture from './fixtures/bad-request.json' with { type: 'json' };
import fileFixture from './fixtures/file.json' with { type: 'json' };
import notFoundFixture from './fixtures/not-found.json' with { type: 'json' };
import phoneNumberFixture from './fixtures/phone-number.json' with { type: 'json' };
import unauthorizedFixture from './fixtures/unauthorized.json' with { type: 'json' };

export interface FakeVapiRequest {
  method: string;
  /** Path with the query, e.g. `/assistant?limit=1`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> | undefined;
  /** The body as sent, for multipart uploads. */
  raw: string;
}

type Send = (status: number, body?: unknown) => void;

export interface FakeVapiOptions {
  privateKey?: string;
  /**
   * Decides per request whether to refuse it, with the status to answer (400 answers the
   * recorded validation error, 5xx a server error); undefined serves it.
   */
  fail?: (req: FakeVapiRequest) => number | undefined;
}

export class FakeVapi {
  readonly requests: FakeVapiRequest[] = [];
  readonly assistants = new Map<string, Record<string, unknown>>();
  readonly phoneNumbers = new Map<string, Record<string, unknown>>();
  readonly tools = new Map<string, Record<string, unknown>>();
  /** Uploaded files: id → the text of the `file` part. */
  readonly files = new Map<string, string>();
  readonly privateKey: string;
  fail: FakeVapiOptions['fail'];
  readonly #server: Server;
  readonly url: string;

  private constructor(server: Server, url: string, o: FakeVapiOptions) {
    this.#server = server;
    this.url = url;
    this.privateKey = o.privateKey ?? 'vapi-private-key-0123456789';
    this.fail = o.fail;
  }

  static async start(o: FakeVapiOptions = {}): Promise<FakeVapi> {
    let fake: FakeVapi | undefined;
    const server = createServer((req, res) => {
      void fake?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeVapi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, o);
    return fake;
  }

  /** Requests to assistants, without the settings check. */
  assistantWrites(): FakeVapiRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const rec: FakeVapiRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body:
        raw && String(req.headers['content-type']).startsWith('application/json')
          ? (JSON.parse(raw) as Record<string, unknown>)
          : undefined,
      raw,
    };
    this.requests.push(rec);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.privateKey}`) {
      return send(unauthorizedFixture.response.status, unauthorizedFixture.response.body);
    }
    const failWith = this.fail?.(rec);
    if (failWith === 400) return send(400, badRequestFixture.response.body);
    if (failWith) return send(failWith, { message: 'Internal server error', statusCode: failWith });

    const url = new URL(rec.path, 'http://vapi');
    const [, resource, id] = url.pathname.split('/');
    const now = new Date().toISOString();
    if (resource === 'phone-number') return this.phoneNumber(rec, id, now, send);
    if (resource === 'file') return this.file(rec, id, now, send);
    if (resource === 'tool') return this.tool(rec, id, now, send);
    if (resource !== 'assistant') return send(404, { message: 'Cannot find route', statusCode: 404 });
    if (!id && rec.method === 'GET') {
      const limit = Number(url.searchParams.get('limit') ?? 100);
      return send(200, [...this.assistants.values()].slice(0, limit));
    }
    if (!id && rec.method === 'POST') {
      const created = {
        ...assistantFixture.response.body,
        ...rec.body,
        id: randomUUID(),
        createdAt: now,
        updatedAt: now,
      };
      this.assistants.set(created.id, created);
      return send(201, created);
    }
    const existing = id ? this.assistants.get(id) : undefined;
    if (!id || !existing) return send(404, notFoundFixture.response.body);
    if (rec.method === 'GET') return send(200, existing);
    if (rec.method === 'PATCH') {
      const updated: Record<string, unknown> = { ...existing, updatedAt: now };
      for (const [k, v] of Object.entries(rec.body ?? {})) {
        if (v === null) delete updated[k];
        else updated[k] = v;
      }
      this.assistants.set(id, updated);
      return send(200, updated);
    }
    if (rec.method === 'DELETE') {
      this.assistants.delete(id);
      return send(200, existing);
    }
    return send(404, { message: 'Cannot find route', statusCode: 404 });
  }

  private phoneNumber(
    rec: FakeVapiRequest,
    id: string | undefined,
    now: string,
    send: (status: number, body?: unknown) => void,
  ): void {
    const existing = id ? this.phoneNumbers.get(id) : undefined;
    if (!id && rec.method === 'POST') {
      const { twilioAuthToken: _secret, ...kept } = rec.body ?? {};
      const created = {
        ...phoneNumberFixture.response.body,
        ...kept,
        id: randomUUID(),
        createdAt: now,
        updatedAt: now,
      };
      this.phoneNumbers.set(created.id, created);
      send(201, created);
    } else if (!id || !existing) {
      send(404, { message: "Couldn't Find Phone Number", statusCode: 404 });
    } else if (rec.method === 'PATCH') {
      const updated = { ...existing, ...rec.body, updatedAt: now };
      this.phoneNumbers.set(id, updated);
      send(200, updated);
    } else {
      send(200, existing);
    }
  }

  private file(rec: FakeVapiRequest, id: string | undefined, now: string, send: Send): void {
    // The one part's content, between its headers and the closing boundary.
    const part = /name="file"; filename="([^"]*)"\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*?)\r\n--/.exec(rec.raw);
    if (!id && rec.method === 'POST' && part) {
      const fileId = randomUUID();
      this.files.set(fileId, part[2]!);
      send(201, {
        ...fileFixture.response.body,
        id: fileId,
        name: part[1],
        originalName: part[1],
        createdAt: now,
        updatedAt: now,
      });
    } else if (!id && rec.method === 'POST') {
      send(400, { message: ['file must be a file'], statusCode: 400 });
    } else if (id && rec.method === 'DELETE' && this.files.delete(id)) {
      send(200, { id });
    } else {
      send(404, { message: "Couldn't Find File", statusCode: 404 });
    }
  }

  private tool(rec: FakeVapiRequest, id: string | undefined, now: string, send: Send): void {
    const existing = id ? this.tools.get(id) : undefined;
    if (!id && rec.method === 'POST') {
      const created = { ...rec.body, id: randomUUID(), createdAt: now, updatedAt: now };
      this.tools.set(created.id, created);
      send(201, created);
    } else if (!id || !existing) {
      send(404, { message: "Couldn't Find Tool", statusCode: 404 });
    } else if (rec.method === 'PATCH') {
      const updated = { ...existing, ...rec.body, updatedAt: now };
      this.tools.set(id, updated);
      send(200, updated);
    } else if (rec.method === 'DELETE') {
      this.tools.delete(id);
      send(200, existing);
    } else {
      send(200, existing);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }
}
