export * from './agent-config.js';
export * from './config.js';
export * from './errors.js';
export * from './event-bus.js';
export * from './events.js';
export * from './ids.js';
export * from './logger.js';
export * from './provider-types.js';
