import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.tributary/**', 'examples/**/*.js', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Plain Node scripts run before the TypeScript build.
    files: ['scripts/**/*.mjs', 'packages/cli/bin/*.js', 'packages/console/build.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // The Raft core is a pure state machine: no I/O, no clocks, no ambient randomness.
    files: ['packages/raft/src/**/*.ts'],
    ignores: ['packages/raft/src/sim/cli.ts', 'packages/raft/src/bench/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'net', 'ws', 'level', 'classic-level', 'timers', 'worker_threads'] }],
      'no-restricted-globals': ['error', 'Date', 'setTimeout', 'setInterval', 'setImmediate', 'process', 'performance'],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'inject a Random' }],
    },
  },
)
