import { schema } from '@switchboard/store';

/** The store's tables this package reads and writes (the store exports them as one namespace). */
export const {
  agents,
  agentVersions,
  calls,
  callEvents,
  callAnalyses,
  turnLatencies,
  deliveries,
  outbox,
  webhooks,
  WEBHOOK_FORMATS,
  DELIVERY_STATUSES,
} = schema;
export type WebhookFormat = schema.WebhookFormat;
export type DeliveryStatus = schema.DeliveryStatus;
export type DeliveryTarget = schema.DeliveryTarget;
export type WebhookRow = typeof schema.webhooks.$inferSelect;
export type DeliveryRow = typeof schema.deliveries.$inferSelect;
export type CallRow = typeof schema.calls.$inferSelect;
export type CallAnalysisRow = typeof schema.callAnalyses.$inferSelect;
