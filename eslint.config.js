// Lint rules that keep the architecture honest (architecture.md): a pure core, no process.exit outside bin/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.sandbox/**', 'bench/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Only bin/ may exit the process: cleanup (schedulers!) must run first.' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['node:*', 'undici', '@kubernetes/*', 'listr2', '@inquirer/*', 'inquirer', '@oclif/*', 'yaml'], message: 'src/core is pure decisions: no I/O, no UI.' },
        { group: ['../services/*', '../pd/*', '../kube/*', '../tikv/*', '../ui/*', '../commands/*', '../cli/*'], message: 'Dependencies point inward: core imports nothing outside core (except errors).' },
      ] }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process', 'fetch'],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'core takes the time as an input.' }, { object: 'Math', property: 'random', message: 'core is deterministic.' }],
    },
  },
);
