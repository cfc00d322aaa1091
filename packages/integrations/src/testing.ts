/** Test doubles for other packages: a Home Assistant that speaks the WebSocket and REST APIs. */
export {
  demoHouse,
  FakeHome,
  type FakeHomeOptions,
  type ServiceCallRecord,
} from './home-assistant/fake-home.js';
export { FakeVapi, type FakeVapiOptions, type FakeVapiRequest } from './vapi/fake-vapi.js';
