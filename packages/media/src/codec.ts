import type { AudioEncoding, AudioFrame } from './format.js';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from './g711.js';
import { pcm16ToSamples, samplesToPcm16 } from './pcm.js';

/**
 * Samples of any frame. For pcm16 this is usually a view over the frame's own bytes (no copy), so
 * callers must not write into it; `out` is used only for G.711 input. An odd pcm16 byte is ignored.
 */
export function decodeFrame(frame: AudioFrame, out?: Int16Array): Int16Array {
  switch (frame.format.encoding) {
    case 'mulaw':
      return mulawDecode(frame.data, out);
    case 'alaw':
      return alawDecode(frame.data, out);
    default:
      return pcm16ToSamples(frame.data);
  }
}

/** Samples encoded as fresh bytes of the given encoding (never aliases `samples`). */
export function encodeSamples(samples: Int16Array, encoding: AudioEncoding): Uint8Array {
  switch (encoding) {
    case 'mulaw':
      return mulawEncode(samples);
    case 'alaw':
      return alawEncode(samples);
    default:
      return samplesToPcm16(samples.slice());
  }
}
