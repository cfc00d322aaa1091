import type { Logger } from '@switchboard/core';
import type { AudioFormat } from '@switchboard/media';
import type { ProviderFactory } from '../providers/provider-factory.js';
import type { ProviderContext } from '../providers/types.js';
import type { OutputPlayer } from './output-player.js';

export const UNAVAILABLE_LINE = 'Sorry, this line cannot take calls right now. Please try again later.';

export interface UnavailableLineOptions {
  factory: ProviderFactory;
  /** A synthesiser that needs nothing outside the process (the composition root picks it). */
  ttsRef: string;
  ctx: ProviderContext;
  player: OutputPlayer;
  format: AudioFormat;
  signal: AbortSignal;
  logger: Logger;
  text?: string;
}

/**
 * When a call's own providers cannot start, the caller still hears why the line is not answering,
 * in a locally synthesised voice, instead of dead air followed by a hang-up.
 */
export async function sayUnavailable(o: UnavailableLineOptions): Promise<boolean> {
  try {
    const tts = await o.factory.tts(o.ttsRef, o.ctx);
    try {
      await tts.prepare(o.signal);
      const text = o.text ?? UNAVAILABLE_LINE;
      const seg = o.player.begin(text);
      for await (const frame of tts.synthesize({ text, format: o.format, signal: o.signal })) {
        o.player.push(seg, frame);
      }
      seg.complete = true;
      await o.player.waitIdle(o.signal);
      return true;
    } finally {
      await tts.close().catch(() => {});
    }
  } catch (e) {
    o.logger.warn(
      { err: e instanceof Error ? e.message : String(e) },
      'could not say the line is unavailable',
    );
    return false;
  }
}
