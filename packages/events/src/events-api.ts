import type { Store } from '@switchboard/store';
import { ExternalUpdates } from './external-updates.js';
import { OutboxWriter } from './outbox-writer.js';
import { createRecordingLinks, type RecordingLinks } from './recording-links.js';
import { DeliveriesRepo } from './repos/deliveries.js';
import { WebhooksRepo } from './repos/webhooks.js';

export interface EventsApi {
  webhooks: WebhooksRepo;
  deliveries: DeliveriesRepo;
  externalUpdates: ExternalUpdates;
  links: RecordingLinks;
}

export interface EventsApiDeps {
  store: Store;
  publicUrl: string;
  internalToken: string;
  /** Whether MQTT is a delivery target (MQTT_URL set). */
  mqtt: boolean;
}

/** What the HTTP routes need, built from what every process already has. */
export function createEventsApi(deps: EventsApiDeps): EventsApi {
  const db = deps.store.database.db;
  return {
    webhooks: new WebhooksRepo(db, deps.store.credentials),
    deliveries: new DeliveriesRepo(db),
    externalUpdates: new ExternalUpdates(db, OutboxWriter.withMqtt(deps.mqtt)),
    links: createRecordingLinks({ publicUrl: deps.publicUrl, internalToken: deps.internalToken }),
  };
}
