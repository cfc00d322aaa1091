import type { TranscriptEntry } from '@switchboard/core';

/**
 * The call's transcript in order of events. Every entry is reported once, when final; agent
 * entries hold only what the caller heard.
 */
export class Transcript {
  readonly #entries: TranscriptEntry[] = [];
  readonly #onEntry: (entry: TranscriptEntry) => void;

  constructor(onEntry: (entry: TranscriptEntry) => void) {
    this.#onEntry = onEntry;
  }

  add(entry: TranscriptEntry): void {
    if (!entry.text && entry.role !== 'tool') return;
    this.#entries.push(entry);
    this.#onEntry(entry);
  }

  get entries(): TranscriptEntry[] {
    return this.#entries.map((e) => ({ ...e }));
  }
}
