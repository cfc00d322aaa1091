/**
 * A scripted Plivo for tests in any package: signed answer/ring/hangup callbacks (V3), the XML
 * answer read back, and the Audio Streams socket driven from fixtures/plivo/*.json.
 */
import { randomUUID } from 'node:crypto';
import { encodeBase64 } from '../ws-media/base64.js';
import type { FormParams } from '../ws-media/fastify-support.js';
import { type Json, loadFixture, ScriptedSocket } from '../ws-media/scripted-socket.js';
import { plivoSignature } from './plivo-signature.js';

export interface ScriptedPlivoOptions {
  appUrl: string;
  publicUrl: string;
  authId: string;
  authToken: string;
  prefix?: string;
}

export interface PlivoXmlAnswer {
  status: number;
  body: string;
  streamUrl?: string;
  /** The raw `extraHeaders` attribute, echoed on `start` as Plivo does. */
  extraHeaders?: string;
}

const unXml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

export class ScriptedPlivo {
  readonly o: ScriptedPlivoOptions;
  readonly prefix: string;

  constructor(o: ScriptedPlivoOptions) {
    this.o = o;
    this.prefix = o.prefix ?? '/plivo';
  }

  async post(path: string, params: FormParams, sign = true): Promise<{ status: number; body: string }> {
    const nonce = randomUUID().replace(/-/g, '');
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) body.append(k, one);
    const res = await fetch(`${this.o.appUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-plivo-signature-v3-nonce': nonce,
        'x-plivo-signature-v3': sign
          ? plivoSignature(this.o.authToken, `${this.o.publicUrl}${path}`, params, nonce)
          : 'bad',
      },
      body: body.toString(),
    });
    return { status: res.status, body: await res.text() };
  }

  async answer(
    params: FormParams = {},
    opts: { query?: string; sign?: boolean } = {},
  ): Promise<PlivoXmlAnswer> {
    const all = { ...(loadFixture('plivo', 'answer-webhook') as FormParams), ...params };
    const res = await this.post(`${this.prefix}/answer${opts.query ?? ''}`, all, opts.sign ?? true);
    const url = /<Stream\b[^>]*>([^<]*)<\/Stream>/.exec(res.body)?.[1];
    const extra = /\bextraHeaders="([^"]*)"/.exec(res.body)?.[1];
    return {
      ...res,
      ...(url !== undefined ? { streamUrl: unXml(url) } : {}),
      ...(extra !== undefined ? { extraHeaders: unXml(extra) } : {}),
    };
  }

  async hangup(params: FormParams = {}, query = ''): Promise<number> {
    const all = { ...(loadFixture('plivo', 'hangup-callback') as FormParams), ...params };
    return (await this.post(`${this.prefix}/hangup${query}`, all)).status;
  }

  async stream(
    answer: PlivoXmlAnswer,
    callUuid: string,
    streamId: string = randomUUID(),
  ): Promise<ScriptedPlivoStream> {
    if (!answer.streamUrl) throw new Error(`the answer has no <Stream>: ${answer.body}`);
    const path = new URL(answer.streamUrl).pathname;
    const ws = await ScriptedSocket.connect(`${this.o.appUrl.replace(/^http/, 'ws')}${path}`);
    return new ScriptedPlivoStream(
      ws,
      { callUuid, streamId, authId: this.o.authId },
      answer.extraHeaders ?? '',
    );
  }
}

export class ScriptedPlivoStream extends ScriptedSocket {
  readonly callUuid: string;
  readonly streamId: string;
  readonly authId: string;
  readonly extraHeaders: string;
  readonly pendingCheckpoints: string[] = [];
  #seq = 0;
  #chunk = 0;

  constructor(
    ws: ConstructorParameters<typeof ScriptedSocket>[0],
    ids: { callUuid: string; streamId: string; authId: string },
    extraHeaders: string,
  ) {
    super(ws);
    this.callUuid = ids.callUuid;
    this.streamId = ids.streamId;
    this.authId = ids.authId;
    this.extraHeaders = extraHeaders;
    this.onMessage = (m) => {
      if (m.event === 'checkpoint') this.pendingCheckpoints.push(String(m.name));
      if (m.event === 'clearAudio') {
        this.pendingCheckpoints.length = 0;
        this.send(this.#stamp('cleared-audio', () => {}));
      }
    };
  }

  #stamp(fixture: string, patch: (m: Json) => void): Json {
    const m = loadFixture('plivo', fixture);
    m.sequenceNumber = ++this.#seq;
    if (m.streamId !== undefined) m.streamId = this.streamId;
    patch(m);
    return m;
  }

  sendStart(extraHeaders = this.extraHeaders): void {
    this.send(
      this.#stamp('start', (m) => {
        Object.assign(m.start as Json, {
          callId: this.callUuid,
          streamId: this.streamId,
          accountId: this.authId,
        });
        m.extra_headers = extraHeaders;
      }),
    );
  }

  sendMedia(audio: Uint8Array | string): void {
    this.send(
      this.#stamp('media', (m) => {
        const media = m.media as Json;
        media.chunk = ++this.#chunk;
        media.timestamp = String((this.#chunk - 1) * 20);
        media.payload = typeof audio === 'string' ? audio : encodeBase64(audio);
        m.extra_headers = this.extraHeaders;
      }),
    );
  }

  sendDtmf(digit: string): void {
    this.send(this.#stamp('dtmf', (m) => ((m.dtmf as Json).digit = digit)));
  }

  /** Reports every pending checkpoint as played. */
  echoCheckpoints(): void {
    for (const name of this.pendingCheckpoints.splice(0))
      this.send(this.#stamp('played-stream', (m) => (m.name = name)));
  }

  mediaReceived(): Buffer[] {
    return this.events('playAudio').map((m) => Buffer.from(String((m.media as Json).payload), 'base64'));
  }
}
