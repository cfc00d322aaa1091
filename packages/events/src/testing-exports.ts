/** Test doubles for other packages' tests: a local webhook receiver, a manual clock, fixtures. */
export { publishCall, seedWorkspace } from './fixtures.js';
export {
  manualClock,
  mqttSkip,
  type Received,
  startReceiver,
  type TestReceiver,
  testMqttUrl,
} from './testing.js';
