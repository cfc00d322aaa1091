import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a test receiver got: the raw body (for signature checks) and the headers. */
export interface Received {
  body: string;
  headers: IncomingMessage['headers'];
  eventId: string;
  json: unknown;
}

export interface TestReceiver {
  url: string;
  received: Received[];
  /** Answers with this status while set (e.g. 503 to play "down"); 200 otherwise. */
  failWith: number | null;
  /** Decides per request; overrides `failWith`. */
  respond?: (r: Received, n: number) => number;
  /** Awaited before answering: lets a test hold a request open. */
  onRequest?: (r: Received) => Promise<void>;
  close(): Promise<void>;
}

/** A local webhook receiver on 127.0.0.1 and a free port. */
export async function startReceiver(): Promise<TestReceiver> {
  const r: TestReceiver = {
    url: '',
    received: [],
    failWith: null,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const got: Received = {
        body,
        headers: req.headers,
        eventId: String(req.headers['x-switchboard-event-id'] ?? ''),
        json: body ? JSON.parse(body) : null,
      };
      await r.onRequest?.(got);
      const status = r.respond ? r.respond(got, n++) : (r.failWith ?? 200);
      if (status >= 200 && status < 300) r.received.push(got);
      if (!res.destroyed) res.writeHead(status).end();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return r;
}

/** A clock tests move by hand. */
export function manualClock(start = Date.now()) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}

/** The MQTT broker tests use; tests skip without one unless CI is set (then they fail). */
export function testMqttUrl(): string | undefined {
  return process.env.TEST_MQTT_URL || process.env.MQTT_URL || undefined;
}
export const mqttSkip = (): string | false =>
  testMqttUrl() || process.env.CI
    ? false
    : 'needs an MQTT broker: set MQTT_URL=mqtt://127.0.0.1:1883 (apt-get install -y mosquitto)';
