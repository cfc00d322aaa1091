export * from './create-vad.js';
export * from './energy-vad.js';
export * from './silero-vad.js';
export * from './vad.js';
