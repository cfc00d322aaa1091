import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A fixture committed under packages/providers/fixtures/<vendor>/. */
export const fixture = (path: string): string =>
  readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface FakeHttpServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A vendor stand-in on 127.0.0.1 port 0. The handler gets the request with its body read and the
 * attempt number (0 for the first request), so a test scripts failures then success.
 */
export async function fakeHttpServer(
  handler: (req: RecordedRequest, res: ServerResponse, attempt: number) => void | Promise<void>,
): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(rec);
      void Promise.resolve(handler(rec, res, requests.length - 1)).catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes an SSE fixture event by event, so the client sees it in several chunks. */
export async function writeSse(res: ServerResponse, text: string, dropAfterEvents?: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const events = text.split(/\n\n/).filter((e) => e.trim());
  let n = 0;
  for (const e of events) {
    if (dropAfterEvents !== undefined && n >= dropAfterEvents) {
      res.socket?.destroy();
      return;
    }
    res.write(`${e}\n\n`);
    n++;
    await new Promise((r) => setImmediate(r));
  }
  res.end();
}

/** Answers with a JSON status, as vendors do for 401/429/5xx. */
export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

/** Fast retries for tests; the policy is still the base's. */
export const TEST_RETRY = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 };

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export interface FakeWsServer {
  url: string;
  /** Upgrade requests seen, including refused ones. */
  upgrades: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A WebSocket vendor stand-in. `refuse(attempt)` may answer the upgrade with an HTTP status (401,
 * 429…) or `'hang'` to never answer it; otherwise the socket is handed to `onSocket`.
 */
export async function fakeWsServer(
  onSocket: (ws: import('ws').WebSocket, req: RecordedRequest, attempt: number) => void,
  refuse: (attempt: number) => number | 'hang' | undefined = () => undefined,
): Promise<FakeWsServer> {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ noServer: true });
  const upgrades: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket, head) => {
    const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.alloc(0) };
    upgrades.push(rec);
    const attempt = upgrades.length - 1;
    const verdict = refuse(attempt);
    if (verdict === 'hang') return;
    if (typeof verdict === 'number') {
      const body = JSON.stringify({ err_code: 'REFUSED', err_msg: `status ${verdict}` });
      socket.end(
        `HTTP/1.1 ${verdict} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws, rec, attempt));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    upgrades,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        for (const s of sockets) s.destroy();
        wss.close();
        server.close(() => resolve());
      }),
  };
}

/** Resolves when `check` holds, polling on the event loop; the test runner's timeout bounds it. */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}
