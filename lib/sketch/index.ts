/** The sketch engine: drawing state, rendering, and uploads → ink. Pure logic, no DOM. */
export * from './types';
export * from './state';
export * from './doc-check';
export * from './stroke';
export * from './rasterize';
export * from './edges';
