import type { ToolCall } from '@switchboard/engine';

/** One `delta.tool_calls[]` fragment; every field optional because servers differ. */
export interface ToolCallFragment {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/**
 * Builds tool calls from streamed fragments, keyed by `index` (§7.3). Compatible servers may send a
 * whole call in one chunk or omit `index` when there is one call: a fragment without an index
 * continues the last call, unless it brings a new id, which starts one.
 */
export class ToolCallAssembler {
  readonly #calls = new Map<number, { id: string; name: string; arguments: string }>();
  #last: number | undefined;

  add(fragment: ToolCallFragment): void {
    const index = this.#indexOf(fragment);
    let call = this.#calls.get(index);
    if (!call) {
      call = { id: '', name: '', arguments: '' };
      this.#calls.set(index, call);
    }
    if (fragment.id) call.id = fragment.id;
    // Some servers repeat the name on every fragment; it is never split.
    if (fragment.function?.name && !call.name) call.name = fragment.function.name;
    if (typeof fragment.function?.arguments === 'string') call.arguments += fragment.function.arguments;
    this.#last = index;
  }

  get size(): number {
    return this.#calls.size;
  }

  /** The finished calls in index order; ids are invented for servers that send none. */
  take(): ToolCall[] {
    const out = [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, c]) => c.name)
      .map(([i, c]) => ({ id: c.id || `call_${i}`, name: c.name, arguments: c.arguments || '{}' }));
    this.#calls.clear();
    this.#last = undefined;
    return out;
  }

  #indexOf(f: ToolCallFragment): number {
    if (typeof f.index === 'number') return f.index;
    const known = f.id ? [...this.#calls.entries()].find(([, c]) => c.id === f.id)?.[0] : undefined;
    if (known !== undefined) return known;
    if (f.id && this.#last !== undefined) return Math.max(...this.#calls.keys()) + 1;
    return this.#last ?? 0;
  }
}
