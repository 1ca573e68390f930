import { describe, expect, test } from '@jest/globals'
import { build } from 'esbuild'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const protocolSrc = path.resolve(here, '../../protocol/src/index.ts')

describe('browser bundle', () => {
  test('esbuild --platform=browser bundles the SDK with no Node-only module (ws, node:*)', async () => {
    const r = await build({
      entryPoints: [path.join(here, 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [{ name: 'protocol-src', setup: (b) => b.onResolve({ filter: /^@tributary\/protocol$/ }, () => ({ path: protocolSrc })) }],
    })
    const inputs = Object.keys(r.metafile.inputs)
    expect(inputs.some((i) => i.endsWith('transport-node-stub.ts'))).toBe(true)
    expect(inputs.some((i) => i.endsWith('crc32c-native-stub.ts'))).toBe(true)
    expect(inputs.filter((i) => /node_modules\/ws\/|node_modules\/@node-rs\/|transport-node\.ts$|crc32c-native\.ts$|^node:/.test(i))).toEqual([])
    const code = r.outputFiles[0].text
    expect(code).not.toMatch(/from\s*["']node:|require\(["'](node:)?(zlib|net|tls|http|fs)["']\)/)
  })
})
