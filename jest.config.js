/** Jest runs TypeScript sources straight from each package's src (transpile only:
 * `npm run lint` type-checks them, tests included, with tsconfig.test.json). Cross-package imports resolve to the
 * sibling package's source, so unit tests never need a build; e2e tests spawn
 * the built CLI, which `npm test` builds first. */
const tsJest = ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }]

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.tsx?$': tsJest },
  moduleNameMapper: {
    '^@tributary/(protocol|raft|storage|broker|client|cli)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  roots: ['<rootDir>/packages', '<rootDir>/e2e'],
  testMatch: ['**/src/**/*.test.ts'],
  // e2e/src/compat: non-npm clients (kcat...), run by `npm run test:compat`
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/e2e/src/compat/'],
  testTimeout: 60_000,
  maxWorkers: 2,
}
