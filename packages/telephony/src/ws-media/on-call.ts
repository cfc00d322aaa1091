import type { Logger } from '@switchboard/core';
import type { WsMediaLeg } from './ws-media-leg.js';

/**
 * Runs the application's `onCall` synchronously (so its listeners are attached before the first
 * message is dispatched) and hangs the leg up if it throws or rejects.
 */
export function runOnCall(log: Logger, leg: WsMediaLeg, fn: () => void | Promise<void>): void {
  const fail = (err: unknown) => {
    log.error({ connector: leg.connector, callId: leg.id, err }, 'onCall failed; hanging up');
    void leg.hangup('connector-error');
  };
  try {
    const r = fn();
    if (r && typeof r.then === 'function') r.then(undefined, fail);
  } catch (err) {
    fail(err);
  }
}
