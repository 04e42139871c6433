/** Results history: the record, its IndexedDB store, typed errors. Pure logic, no React, no DOM. */
export * from './errors';
export * from './record';
export * from './store';
