export * from './analysis-worker.js';
export * from './backoff.js';
export * from './call-payload.js';
export * from './delivery-worker.js';
export * from './event-types.js';
export * from './events-api.js';
export * from './external-schema.js';
export * from './external-updates.js';
export * from './formats.js';
export * from './lost-calls.js';
export * from './mqtt-discovery.js';
export * from './mqtt-publisher.js';
export * from './outbox-writer.js';
export * from './recorder.js';
export * from './recording-links.js';
export * from './repos/analyses.js';
export * from './repos/call-story.js';
export * from './repos/deliveries.js';
export * from './repos/webhooks.js';
export * from './senders.js';
export * from './signature.js';
export type {
  CallAnalysisRow,
  DeliveryRow,
  DeliveryStatus,
  DeliveryTarget,
  WebhookFormat,
  WebhookRow,
} from './tables.js';
export { DELIVERY_STATUSES, WEBHOOK_FORMATS } from './tables.js';
