/** How browser tests find Chromium: TRIBUTARY_CHROMIUM's choices, and the npm Chromium really starting. */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { SYSTEM_CHROMIUM, findChromium } from './chromium.js'

const run = promisify(execFile)

test('auto uses Debian\'s Chromium when it is installed, else the npm one', async () => {
  const b = await findChromium('auto')
  expect(b.source).toBe(existsSync(SYSTEM_CHROMIUM) ? 'system' : 'npm')
})

test('npm: the Chromium shipped in @sparticuz/chromium unpacks and runs here', async () => {
  const b = await findChromium('npm')
  expect(b).toMatchObject({ source: 'npm', executablePath: expect.stringMatching(/chromium$/) })
  expect(b.executablePath).not.toBe(SYSTEM_CHROMIUM)
  expect(b.args).toContain('--no-sandbox')
  const { stdout } = await run(b.executablePath, ['--version'], { timeout: 30_000 })
  expect(stdout).toMatch(/Chromium \d+\./)
}, 60_000)

test('an absolute path is used as given; a missing one or an unknown choice is a clear error', async () => {
  await expect(findChromium('/no/such/chromium')).rejects.toThrow('TRIBUTARY_CHROMIUM=/no/such/chromium does not exist')
  await expect(findChromium('firefox')).rejects.toThrow(/must be npm, system, auto or an absolute path, got "firefox"/)
  if (existsSync(SYSTEM_CHROMIUM)) expect(await findChromium(SYSTEM_CHROMIUM)).toMatchObject({ source: 'path', executablePath: SYSTEM_CHROMIUM })
  else await expect(findChromium('system')).rejects.toThrow(`${SYSTEM_CHROMIUM} does not exist`)
})
