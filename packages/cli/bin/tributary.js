#!/usr/bin/env node
// The `tributary` command as npm links it (node_modules/.bin/tributary, so
// `npx tributary ...` works from the repository root). It is committed, not
// built, because npm links a bin only if its file exists at install time, and
// `npm ci` runs before the build; the CLI itself is dist/bin.js.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const built = new URL('../dist/bin.js', import.meta.url)
if (!existsSync(fileURLToPath(built))) {
  process.stderr.write(`tributary: the CLI is not built yet (${fileURLToPath(built)} is missing): run \`npm run build\` in the repository root first\n`)
  process.exit(1)
}
await import(built.href)
