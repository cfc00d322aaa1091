export * from './app.js';
export * from './bootstrap.js';
export * from './calls/call-runner.js';
export * from './calls/talk-token.js';
export type { AppDeps, SubsystemState } from './deps.js';
export { type AuthContext, roleAtLeast, SESSION_COOKIE, ws } from './plugins/auth.js';
export { send as sendError } from './plugins/errors.js';
export { createMetricsRegistry } from './plugins/metrics.js';
export * from './schemas.js';
