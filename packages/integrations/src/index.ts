export * from './home-assistant/connection.js';
export {
  demoHouse,
  FakeHome,
  type FakeHomeOptions,
  type ServiceCallRecord,
} from './home-assistant/fake-home.js';
export * from './home-assistant/ha-socket.js';
export * from './home-assistant/home-assistant.js';
export * from './home-assistant/records.js';
export * from './home-assistant/tools.js';
export * from './vapi/assistant.js';
export * from './vapi/client.js';
export * from './vapi/ingest.js';
export * from './vapi/server-messages.js';
export * from './vapi/sync.js';
