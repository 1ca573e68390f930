/**
 * Jest's globals for the test type-check (tsconfig.test.json): the tests use them
 * without importing, as jest injects them. Typed from @jest/globals, which ships
 * with the jest version we run.
 */
import type * as JestGlobals from '@jest/globals'

declare global {
  const describe: typeof JestGlobals.describe
  const test: typeof JestGlobals.test
  const it: typeof JestGlobals.it
  const expect: typeof JestGlobals.expect
  const beforeAll: typeof JestGlobals.beforeAll
  const beforeEach: typeof JestGlobals.beforeEach
  const afterAll: typeof JestGlobals.afterAll
  const afterEach: typeof JestGlobals.afterEach
  const jest: typeof JestGlobals.jest
}
