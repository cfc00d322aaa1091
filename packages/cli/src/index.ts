export { type Running, start } from './start.js';
