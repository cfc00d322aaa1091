export { WebCallLeg } from './web-call-leg.js';
export { type TalkGrant, type WebCallPluginOptions, webCallPlugin } from './web-plugin.js';
