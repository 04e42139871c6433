/** `npm run generate` arguments for a reference run's parameters (the CLI tests replay torch references). */
export interface CliParams {
  prompt: string;
  negativePrompt: string;
  seed: number;
  steps: number;
  guidanceScale: number;
  scheduler: string;
  width: number;
  height: number;
}

export function generateArgs(model: string, p: CliParams, out: string, raw: string): string[] {
  const flags: Array<[string, string | number]> = [
    ['--model', model],
    ['--prompt', p.prompt],
    ['--negative', p.negativePrompt],
    ['--seed', p.seed],
    ['--steps', p.steps],
    ['--guidance', p.guidanceScale],
    ['--scheduler', p.scheduler],
    ['--width', p.width],
    ['--height', p.height],
    ['--out', out],
    ['--raw', raw],
  ];
  return flags.flatMap(([flag, value]) => [flag, String(value)]);
}
