// The spec operations the library offers, as one loadable unit.
export { loadBundle } from './load.js';
export { defaultSpec, rootlessSpec } from './defaults.js';
