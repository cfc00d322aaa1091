/**
 * A scripted Telnyx for tests in any package: Ed25519-signed Call Control webhooks and the media
 * streaming socket driven from fixtures/telnyx/*.json.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { encodeBase64 } from '../ws-media/base64.js';
import { type Json, loadFixture, ScriptedSocket } from '../ws-media/scripted-socket.js';

export interface ScriptedTelnyxOptions {
  appUrl: string;
  prefix?: string;
}

export class ScriptedTelnyx {
  readonly o: ScriptedTelnyxOptions;
  readonly prefix: string;
  /** Base64 raw Ed25519 public key, as the Telnyx portal shows it. */
  readonly publicKey: string;
  readonly #privateKey: KeyObject;

  constructor(o: ScriptedTelnyxOptions) {
    this.o = o;
    this.prefix = o.prefix ?? '/telnyx';
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.#privateKey = privateKey;
    this.publicKey = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  }

  /** POSTs a webhook fixture with `payload` fields patched, signed (or not). */
  async webhook(fixture: string, payload: Json = {}, opts: { sign?: boolean; timestamp?: number } = {}) {
    const body = loadFixture('telnyx', fixture);
    Object.assign((body.data as Json).payload as Json, payload);
    const raw = JSON.stringify(body);
    const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
    const sig = sign(null, Buffer.from(`${ts}|${raw}`), this.#privateKey).toString('base64');
    const res = await fetch(`${this.o.appUrl}${this.prefix}/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'telnyx-timestamp': ts,
        'telnyx-signature-ed25519': opts.sign === false ? 'AAAA' : sig,
      },
      body: raw,
    });
    return { status: res.status, body: await res.text() };
  }

  /** Opens the stream Telnyx was told to open (`stream_url` from answer or dial). */
  async stream(streamUrl: string, callControlId: string): Promise<ScriptedTelnyxStream> {
    const path = new URL(streamUrl).pathname;
    const ws = await ScriptedSocket.connect(`${this.o.appUrl.replace(/^http/, 'ws')}${path}`);
    return new ScriptedTelnyxStream(ws, callControlId);
  }
}

export class ScriptedTelnyxStream extends ScriptedSocket {
  readonly callControlId: string;
  readonly pendingMarks: string[] = [];
  #seq = 0;
  #chunk = 0;

  constructor(ws: ConstructorParameters<typeof ScriptedSocket>[0], callControlId: string) {
    super(ws);
    this.callControlId = callControlId;
    this.onMessage = (m) => {
      if (m.event === 'mark') this.pendingMarks.push(String((m.mark as Json | undefined)?.name));
    };
  }

  #stamp(fixture: string, patch: (m: Json) => void = () => {}): Json {
    const m = loadFixture('telnyx', fixture);
    if (m.event !== 'connected') m.sequence_number = String(++this.#seq);
    patch(m);
    return m;
  }

  begin(): void {
    this.send(this.#stamp('connected'));
    this.send(this.#stamp('start', (m) => ((m.start as Json).call_control_id = this.callControlId)));
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

  echoMarks(): void {
    for (const name of this.pendingMarks.splice(0))
      this.send(this.#stamp('mark', (m) => ((m.mark as Json).name = name)));
  }

  sendStop(): void {
    this.send(this.#stamp('stop', (m) => ((m.stop as Json).call_control_id = this.callControlId)));
  }
}
