import type { CallEvent, CallEventType } from './events.js';

export type CallEventHandler = (event: CallEvent) => void | Promise<void>;

/**
 * The one in-process stream of call events. The engine publishes; the store writer, the outbox,
 * MQTT, metrics and live views subscribe. A failing or slow subscriber never blocks the call or
 * the other subscribers: handlers run detached and their errors go to `onError`.
 */
export class CallEventBus {
  private readonly handlers = new Set<{ fn: CallEventHandler; types?: ReadonlySet<CallEventType> }>();

  constructor(private readonly onError: (err: unknown, event: CallEvent) => void = () => {}) {}

  /** Subscribes to every event, or only to the given types. Returns the unsubscribe function. */
  subscribe(fn: CallEventHandler, types?: readonly CallEventType[]): () => void {
    const entry = types ? { fn, types: new Set(types) } : { fn };
    this.handlers.add(entry);
    return () => {
      this.handlers.delete(entry);
    };
  }

  publish(event: CallEvent): void {
    for (const h of this.handlers) {
      if (h.types && !h.types.has(event.type)) continue;
      try {
        const r = h.fn(event);
        if (r && typeof (r as Promise<void>).catch === 'function') {
          (r as Promise<void>).catch((err: unknown) => this.onError(err, event));
        }
      } catch (err) {
        this.onError(err, event);
      }
    }
  }

  get size(): number {
    return this.handlers.size;
  }
}
