export * from './database.js';
export { isDatabaseUnavailable, mapDbError, withDbErrors } from './errors.js';
export * from './pagination.js';
export * from './repos/accounts.js';
export * from './repos/agents.js';
export * from './repos/api-keys.js';
export * from './repos/calls.js';
export * from './repos/credentials.js';
export * from './repos/home.js';
export * from './repos/knowledge.js';
export * from './repos/phone-numbers.js';
export * from './repos/providers.js';
export * from './repos/retention.js';
export * from './repos/settings.js';
export * from './repos/vapi.js';
export * from './resolver.js';
export * as schema from './schema.js';
export {
  API_KEY_ROLES,
  CONNECTORS,
  type Connector,
  HA_CONNECTION_STATUSES,
  type HaConnectionStatus,
  KB_DOCUMENT_STATUSES,
  KB_SOURCE_TYPES,
  type KbDocumentStatus,
  type KbSourceType,
  PROVIDER_KINDS,
  type ProviderKind,
  ROLES,
  type Role,
  VAPI_SYNC_STATES,
  type VapiSyncState,
} from './schema.js';
export * from './secrets.js';
export * from './store.js';
