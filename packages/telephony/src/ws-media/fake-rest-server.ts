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

/**
 * The accounts the fake knows, for the reads that check a credential: Twilio's Account resource,
 * Plivo's account and Telnyx's Call Control applications. Credentials that do not match answer
 * 401, an account or connection the credentials do not reach 404, as the carriers do.
 */
export interface CarrierAccountFixture {
  /** Account SID → its auth token (and status, `active` unless given). */
  twilio?: Record<string, { authToken: string; status?: 'active' | 'suspended' | 'closed' }>;
  /** Auth ID → its auth token. */
  plivo?: Record<string, { authToken: string }>;
  telnyx?: { apiKeys: string[]; connectionIds: string[] };
}

export class FakeRestServer {
  readonly requests: RecordedRequest[] = [];
  /** Answers queued for the next requests, in order; when empty `accounts`, then `fallback` answer. */
  readonly script: FakeResponse[] = [];
  /** When set, the account reads of each carrier named are answered from it. */
  accounts: CarrierAccountFixture | undefined;
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
        const answer = this.script.shift() ?? accountAnswer(this.accounts, rec) ?? this.fallback(rec);
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

function basicUser(headers: IncomingMessage['headers']): { user: string; password: string } | null {
  const m = /^Basic (.+)$/.exec(headers.authorization ?? '');
  if (!m?.[1]) return null;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? null : { user: text.slice(0, i), password: text.slice(i + 1) };
}

/** The carriers' own error bodies: Twilio `code`/`message`, Plivo `error`, Telnyx `errors[]`. */
function accountAnswer(f: CarrierAccountFixture | undefined, r: RecordedRequest): FakeResponse | undefined {
  if (!f || r.method !== 'GET') return undefined;
  const twilio = /^\/2010-04-01\/Accounts\/([^/]+)\.json$/.exec(r.path);
  if (twilio && f.twilio) {
    const sid = decodeURIComponent(twilio[1] ?? '');
    const auth = basicUser(r.headers);
    const account = auth ? f.twilio[auth.user] : undefined;
    if (!auth || !account || account.authToken !== auth.password) {
      return { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } };
    }
    if (auth.user !== sid) {
      return {
        status: 404,
        body: { code: 20404, message: 'The requested resource was not found', status: 404 },
      };
    }
    return { status: 200, body: { sid, status: account.status ?? 'active', friendly_name: 'Fake account' } };
  }
  const plivo = /^\/v1\/Account\/([^/]+)\/$/.exec(r.path);
  if (plivo && f.plivo) {
    const id = decodeURIComponent(plivo[1] ?? '');
    const auth = basicUser(r.headers);
    const account = auth ? f.plivo[auth.user] : undefined;
    if (!auth || !account || account.authToken !== auth.password) {
      return { status: 401, body: { api_id: 'fake', error: 'authentication failed' } };
    }
    if (auth.user !== id) return { status: 404, body: { api_id: 'fake', error: 'not found' } };
    return { status: 200, body: { api_id: 'fake', auth_id: id, account_type: 'standard', state: 'active' } };
  }
  const telnyx = /^\/v2\/call_control_applications\/([^/]+)$/.exec(r.path);
  if (telnyx && f.telnyx) {
    const key = /^Bearer (.+)$/.exec(r.headers.authorization ?? '')?.[1];
    if (!key || !f.telnyx.apiKeys.includes(key)) {
      return { status: 401, body: { errors: [{ code: '10009', title: 'Authentication failed' }] } };
    }
    const id = decodeURIComponent(telnyx[1] ?? '');
    if (!f.telnyx.connectionIds.includes(id)) {
      return { status: 404, body: { errors: [{ code: '10005', title: 'Resource not found' }] } };
    }
    return { status: 200, body: { data: { id, record_type: 'call_control_application', active: true } } };
  }
  return undefined;
}
