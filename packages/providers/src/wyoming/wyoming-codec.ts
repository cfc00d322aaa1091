/** One Wyoming event (§9.2): a type, its data (header and data block merged) and the payload. */
export interface WyomingEvent {
  type: string;
  data: Record<string, unknown>;
  payload?: Uint8Array;
}

/** Encodes an event as current Python writers do: data in a separate block, with a version. */
export function encodeWyoming(event: WyomingEvent): Buffer {
  const data = Buffer.from(JSON.stringify(event.data), 'utf8');
  const header: Record<string, unknown> = {
    type: event.type,
    version: '1.9.0',
    data_length: data.byteLength,
  };
  if (event.payload?.byteLength) header.payload_length = event.payload.byteLength;
  const parts = [Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), data];
  if (event.payload?.byteLength) parts.push(Buffer.from(event.payload));
  return Buffer.concat(parts);
}

/**
 * Incremental reader of Wyoming events from a byte stream: a JSON header line, then `data_length`
 * bytes of JSON merged over the header's inline `data`, then `payload_length` bytes of payload.
 * TCP chunks may split any of the three anywhere.
 */
export class WyomingDecoder {
  #buf: Buffer = Buffer.alloc(0);
  #header:
    | { type: string; data: Record<string, unknown>; dataLength: number; payloadLength: number }
    | undefined;

  push(chunk: Uint8Array): WyomingEvent[] {
    this.#buf = this.#buf.byteLength ? Buffer.concat([this.#buf, chunk]) : Buffer.from(chunk);
    const out: WyomingEvent[] = [];
    for (;;) {
      if (!this.#header) {
        const nl = this.#buf.indexOf(0x0a);
        if (nl < 0) return out;
        const line = this.#buf.subarray(0, nl).toString('utf8').trim();
        this.#buf = this.#buf.subarray(nl + 1);
        if (!line) continue;
        const h = JSON.parse(line) as Record<string, unknown>;
        if (typeof h.type !== 'string') throw new Error('wyoming header without a type');
        this.#header = {
          type: h.type,
          data: isRecord(h.data) ? h.data : {},
          dataLength: Number(h.data_length ?? 0) || 0,
          payloadLength: Number(h.payload_length ?? 0) || 0,
        };
      }
      const h = this.#header;
      if (this.#buf.byteLength < h.dataLength + h.payloadLength) return out;
      let data = h.data;
      if (h.dataLength > 0) {
        const block = JSON.parse(this.#buf.subarray(0, h.dataLength).toString('utf8')) as unknown;
        if (isRecord(block)) data = { ...data, ...block };
      }
      const event: WyomingEvent = { type: h.type, data };
      if (h.payloadLength > 0) {
        event.payload = new Uint8Array(this.#buf.subarray(h.dataLength, h.dataLength + h.payloadLength));
      }
      this.#buf = this.#buf.subarray(h.dataLength + h.payloadLength);
      this.#header = undefined;
      out.push(event);
    }
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
