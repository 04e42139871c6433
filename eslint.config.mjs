import next from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';

const frameworks = ['react', 'react-dom', 'next', 'next/*', 'zustand', 'zustand/*'];

const config = [
  ...next,
  ...nextTs,
  { ignores: ['.next/**', 'out/**', 'node_modules/**', 'public/**', 'test-results/**', 'playwright-report/**', 'next-env.d.ts'] },
  {
    // The engine stays framework-free and deterministic.
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: frameworks }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'lib/ is seeded: take a NoiseSource.' }],
    },
  },
  {
    // lib/onnx is the one seam to onnxruntime.
    files: ['lib/**/*.ts'],
    ignores: ['lib/onnx/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...frameworks, 'onnxruntime-*'] }] },
  },
];
export default config;
