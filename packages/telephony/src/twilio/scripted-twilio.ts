/**
 * A scripted Twilio for tests in any package: signs and sends the voice webhook and status
 * callbacks like Twilio, reads the TwiML answer, opens the media stream it names and speaks the
 * Media Streams protocol from the committed fixtures (fixtures/twilio/*.json).
 */

import { encodeBase64 } from '../ws-media/base64.js';
import type { FormParams } from '../ws-media/fastify-support.js';
import { type Json, loadFixture, ScriptedSocket } from '../ws-media/scripted-socket.js';
import { twilioSignature } from './twilio-signature.js';

export interface ScriptedTwilioOptions {
  /** Where the app really listens, e.g. http://127.0.0.1:41234. */
  appUrl: string;
  /** The app's PUBLIC_URL: what Twilio would have requested, and signs. */
  publicUrl: string;
  accountSid: string;
  authToken: string;
  prefix?: string;
}

export interface TwimlAnswer {
  status: number;
  body: string;
  /** The `<Stream url>` of a `<Connect>` answer. */
  streamUrl?: string;
  /** The `<Parameter>`s of the stream. */
  parameters: Record<string, string>;
}

export class ScriptedTwilio {
  readonly o: ScriptedTwilioOptions;
  readonly prefix: string;

  constructor(o: ScriptedTwilioOptions) {
    this.o = o;
    this.prefix = o.prefix ?? '/twilio';
  }

  /** POSTs a form webhook signed like Twilio (or with `signature` as given). */
  async post(
    path: string,
    params: FormParams,
    signature?: string,
  ): Promise<{ status: number; body: string }> {
    const url = `${this.o.publicUrl}${path}`;
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) body.append(k, one);
    const res = await fetch(`${this.o.appUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature ?? twilioSignature(this.o.authToken, url, params),
      },
      body: body.toString(),
    });
    return { status: res.status, body: await res.text() };
  }

  /** The voice webhook for a call (fixture `voice-webhook`, overridden by `params`). */
  async voice(
    params: FormParams = {},
    opts: { query?: string; signature?: string } = {},
  ): Promise<TwimlAnswer> {
    const all = {
      ...(loadFixture('twilio', 'voice-webhook') as FormParams),
      AccountSid: this.o.accountSid,
      ...params,
    };
    const res = await this.post(`${this.prefix}/voice${opts.query ?? ''}`, all, opts.signature);
    return { ...res, ...parseTwiml(res.body) };
  }

  async status(params: FormParams, query = ''): Promise<number> {
    const all = {
      ...(loadFixture('twilio', 'status-completed') as FormParams),
      AccountSid: this.o.accountSid,
      ...params,
    };
    return (await this.post(`${this.prefix}/status${query}`, all)).status;
  }

  /** Opens the media stream a TwiML answer named, against the app's real address. */
  async stream(
    answer: TwimlAnswer,
    callSid: string,
    streamSid = randomSid('MZ'),
  ): Promise<ScriptedTwilioStream> {
    if (!answer.streamUrl) throw new Error(`the answer has no <Connect><Stream>: ${answer.body}`);
    const path = new URL(answer.streamUrl).pathname;
    const ws = await ScriptedSocket.connect(`${this.o.appUrl.replace(/^http/, 'ws')}${path}`);
    return new ScriptedTwilioStream(
      ws,
      { streamSid, callSid, accountSid: this.o.accountSid },
      answer.parameters,
    );
  }
}

export class ScriptedTwilioStream extends ScriptedSocket {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  readonly parameters: Record<string, string>;
  #seq = 0;
  #chunk = 0;
  /** Marks received and not yet echoed, as Twilio holds them until the audio before them played. */
  readonly pendingMarks: string[] = [];
  /** Echo pending marks when a `clear` arrives, as Twilio does. */
  echoMarksOnClear = true;

  constructor(
    ws: ConstructorParameters<typeof ScriptedSocket>[0],
    ids: { streamSid: string; callSid: string; accountSid: string },
    parameters: Record<string, string>,
  ) {
    super(ws);
    this.streamSid = ids.streamSid;
    this.callSid = ids.callSid;
    this.accountSid = ids.accountSid;
    this.parameters = parameters;
    this.onMessage = (m) => {
      if (m.event === 'mark') this.pendingMarks.push(String((m.mark as Json | undefined)?.name));
      if (m.event === 'clear' && this.echoMarksOnClear) this.echoMarks();
    };
  }

  #stamp(fixture: string, patch: (m: Json) => void): Json {
    const m = loadFixture('twilio', fixture);
    if (m.event !== 'connected') {
      m.sequenceNumber = String(++this.#seq);
      m.streamSid = this.streamSid;
    }
    patch(m);
    return m;
  }

  sendConnected(): void {
    this.send(loadFixture('twilio', 'connected'));
  }

  sendStart(customParameters: Record<string, string> = this.parameters): void {
    this.send(
      this.#stamp('start', (m) => {
        Object.assign(m.start as Json, {
          streamSid: this.streamSid,
          accountSid: this.accountSid,
          callSid: this.callSid,
          customParameters,
        });
      }),
    );
  }

  /** Connected + start, as Twilio opens every stream. */
  begin(): void {
    this.sendConnected();
    this.sendStart();
  }

  sendMedia(audio: Uint8Array | string): void {
    this.send(
      this.#stamp('media', (m) => {
        const media = m.media as Json;
        media.chunk = String(++this.#chunk);
        media.timestamp = String((this.#chunk - 1) * 20);
        media.payload = typeof audio === 'string' ? audio : encodeBase64(audio);
      }),
    );
  }

  sendDtmf(digit: string): void {
    this.send(this.#stamp('dtmf', (m) => ((m.dtmf as Json).digit = digit)));
  }

  sendMark(name: string): void {
    this.send(this.#stamp('mark', (m) => ((m.mark as Json).name = name)));
  }

  /** Echoes every pending mark (the audio before them "played", or a clear flushed it). */
  echoMarks(): void {
    for (const name of this.pendingMarks.splice(0)) this.sendMark(name);
  }

  sendStop(): void {
    this.send(
      this.#stamp('stop', (m) =>
        Object.assign(m.stop as Json, { accountSid: this.accountSid, callSid: this.callSid }),
      ),
    );
  }

  /** Payloads of the `media` messages received, decoded. */
  mediaReceived(): Buffer[] {
    return this.events('media').map((m) => Buffer.from(String((m.media as Json).payload), 'base64'));
  }
}

/** `<Stream url>` and its `<Parameter>`s from a TwiML answer (attribute values unescaped). */
export function parseTwiml(xml: string): { streamUrl?: string; parameters: Record<string, string> } {
  const unXml = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const url = /<Stream\b[^>]*\burl="([^"]*)"/.exec(xml)?.[1];
  const parameters: Record<string, string> = {};
  for (const m of xml.matchAll(/<Parameter name="([^"]*)" value="([^"]*)"\/>/g)) {
    parameters[unXml(m[1] ?? '')] = unXml(m[2] ?? '');
  }
  return url === undefined ? { parameters } : { streamUrl: unXml(url), parameters };
}

export function randomSid(prefix: string): string {
  let s = prefix;
  for (let i = 0; i < 32; i++) s += '0123456789abcdef'[Math.floor(Math.random() * 16)];
  return s;
}
