export * from './address.js';
export * from './guard.js';
export * from './host-rules.js';
