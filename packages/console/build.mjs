/**
 * Builds the console into dist/: index.html and app.css as they are, and one
 * JavaScript bundle (src/main.ts with the browser build of @tributary/client,
 * minified). Prints the bundle's gzip size against the budget; over budget
 * fails the build.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const here = path.dirname(fileURLToPath(import.meta.url))
const out = path.join(here, 'dist')
/** The budget for the console's JavaScript. */
const BUNDLE_GZIP_BYTES_MAX = 300 * 1024

await mkdir(out, { recursive: true })
const result = await build({
  entryPoints: [path.join(here, 'src', 'main.ts')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
})
const leaked = Object.keys(result.metafile.inputs).filter((i) => /^node:|node_modules\/ws\//.test(i) && !i.startsWith('(disabled)'))
if (leaked.length > 0) throw new Error(`the console bundle pulled in Node-only modules: ${leaked.join(', ')}`)
for (const f of ['index.html', 'app.css', 'favicon.svg']) await copyFile(path.join(here, 'static', f), path.join(out, f))
const js = await readFile(path.join(out, 'app.js'))
const gz = gzipSync(js, { level: 9 }).byteLength
const kb = (n) => `${(n / 1024).toFixed(1)} KB`
if (!process.argv.includes('--quiet')) console.log(`console: dist/app.js ${kb(js.byteLength)}, ${kb(gz)} gzip (budget ${kb(BUNDLE_GZIP_BYTES_MAX)})`)
if (gz > BUNDLE_GZIP_BYTES_MAX) {
  console.error(`console: the bundle is over its budget (${kb(gz)} gzip > ${kb(BUNDLE_GZIP_BYTES_MAX)})`)
  process.exit(1)
}
