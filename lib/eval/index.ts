/**
 * Lantern's evaluator for the "shapes" model family: analyse a generated image, compare it
 * with what its caption promises, measure how well it follows a sketch. Pure logic, no I/O.
 */
export * from './spec';
export * from './caption';
export * from './random';
export * from './render';
export * from './analyze';
export * from './score';
export * from './edges';
export * from './prompts';
export * from './report';
