import { createLogger } from '@switchboard/core';
import type { StsEvent, StsOptions, ToolDefinition } from '@switchboard/engine';
import { type AudioFormat, MULAW_8K } from '@switchboard/media';

/** Helpers the speech-to-speech adapter tests share. */
export const quietLogger = createLogger({ level: 'silent' });

export const BOOK_TOOL: ToolDefinition = {
  name: 'book_appointment',
  description: 'Book a slot',
  parameters: { type: 'object', properties: { date: { type: 'string' } }, required: ['date'] },
};

export function stsOptions(over: Partial<StsOptions> & { format?: AudioFormat } = {}): StsOptions {
  const { format = MULAW_8K, ...rest } = over;
  return {
    inputFormat: format,
    outputFormat: format,
    instructions: 'You are the front desk of Acme Dental. Be brief.',
    tools: [BOOK_TOOL],
    language: 'en-US',
    endOfTurnSilenceMs: 500,
    signal: new AbortController().signal,
    ...rest,
  };
}

/**
 * Reads events until `stop` matches one (included) or the stream ends; fails after `timeoutMs`
 * of real time so a broken adapter fails the test instead of hanging it.
 */
export async function readUntil(
  it: AsyncIterator<StsEvent>,
  stop: (ev: StsEvent) => boolean,
  timeoutMs = 10_000,
): Promise<StsEvent[]> {
  const out: StsEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no matching event; got ${JSON.stringify(out.map((e) => e.type))}`)),
        Math.max(1, deadline - Date.now()),
      );
    });
    try {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done) return out;
      out.push(r.value);
      if (stop(r.value)) return out;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Audio bytes of the events, concatenated. */
export const audioBytes = (events: StsEvent[]): Buffer =>
  Buffer.concat(events.flatMap((e) => (e.type === 'audio' ? [Buffer.from(e.frame.data)] : [])));

/** Waits in real time for `cond`, for state that changes on socket I/O. */
export async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
