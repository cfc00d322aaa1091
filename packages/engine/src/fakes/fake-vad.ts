import type { AudioFrame } from '@switchboard/media';
import type { SessionVad, VadFactory } from '../session/vad.js';
import { isSilentFrame } from './fake-audio.js';

/** A detector for tests: any audible frame is speech, the first silent frame ends it. */
export class FakeVad implements SessionVad {
  #speaking = false;
  closed = false;

  process(frame: AudioFrame): { speaking: boolean; event?: 'speech-start' | 'speech-end' } {
    const loud = !isSilentFrame(frame);
    if (loud !== this.#speaking) {
      this.#speaking = loud;
      return { speaking: loud, event: loud ? 'speech-start' : 'speech-end' };
    }
    return { speaking: loud };
  }

  reset(): void {
    this.#speaking = false;
  }

  close(): void {
    this.closed = true;
  }
}

export const fakeVadFactory: VadFactory = () => new FakeVad();
