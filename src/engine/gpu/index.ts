/** The GPU engine's public face: the engine, and adapter discovery for `cptsim devices`. */
export { createGpuEngine } from './engine.js';
export type { GpuEngineOptions } from './engine.js';
export { findAdapter, listAdapters, describeAdapter, NO_ADAPTER_HINT } from './device.js';
export type { AdapterSummary } from './device.js';
