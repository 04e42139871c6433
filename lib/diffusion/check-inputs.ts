/**
 * Kept so existing imports compile: generation parameters, their limits, defaults and
 * validation live in ./params.
 */
export * from './params';
