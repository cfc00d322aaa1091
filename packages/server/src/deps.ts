import type { Config, Logger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import type { Registry } from 'prom-client';

/** A subsystem that is optional, reported on /health/ready. */
export interface SubsystemState {
  name: string;
  /** `disabled` when not configured: that is healthy, not a failure. */
  state: 'up' | 'down' | 'disabled' | 'degraded';
  detail?: string;
}

/** Everything the HTTP app needs, wired by the composition root. */
export interface AppDeps {
  config: Config;
  store: Store;
  logger: Logger;
  internalToken: string;
  metrics: Registry;
  /** Extra readiness checks (Redis, MQTT, SIP, queue…); each says its own state. */
  subsystems?: (() => Promise<SubsystemState> | SubsystemState)[];
}
