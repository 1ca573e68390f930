/**
 * Driving the web console in headless Chromium for the console tests and the
 * console benchmark: open a node's `/`, wait for what a page shows, check the
 * page with axe-core, and save a screenshot to a folder that is not committed
 * (e2e/console-screenshots/, or TRIBUTARY_CONSOLE_SCREENSHOTS).
 */
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { launchChromium } from './chromium.js'
import { REPO_ROOT } from './cluster.js'

export const SCREENSHOT_DIR = process.env.TRIBUTARY_CONSOLE_SCREENSHOTS ?? path.join(REPO_ROOT, 'e2e', 'console-screenshots')
export const DESKTOP = { width: 1280, height: 800 }
export const PHONE = { width: 390, height: 844 }

const axeSource = (): string => readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export interface ConsoleBrowser {
  context: BrowserContext
  page: Page
  /** Uncaught page errors seen so far (a healthy console has none). */
  errors: string[]
  close(): Promise<void>
}

export async function openConsole(nodeUrl: string): Promise<ConsoleBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tributary-console-chromium-'))
  const { context } = await launchChromium(profile)
  const page = await context.newPage()
  await page.setViewportSize(DESKTOP)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(consoleUrl(nodeUrl))
  return {
    context, page, errors,
    async close() {
      await context.close().catch(() => {})
      await rm(profile, { recursive: true, force: true })
    },
  }
}

/** http(s)://host:port/ of a node's ws(s):// URL. */
export function consoleUrl(nodeUrl: string, hash = ''): string {
  return `${nodeUrl.replace(/^ws/, 'http')}/${hash}`
}

/** Serious and critical axe-core violations of the page as it is now (rule id and the first offending element). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated over DevTools, so the console's Content-Security-Policy does not apply to it.
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource())
  const results = await page.evaluate(async () => {
    const r = await (window as any).axe.run(document, { resultTypes: ['violations'] })
    return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, target: String(v.nodes[0]?.target ?? ''), help: v.help }))
  }) as Array<{ id: string; impact: string; target: string; help: string }>
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) at ${v.target}: ${v.help}`)
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  const file = path.join(SCREENSHOT_DIR, `${name}.png`)
  await page.screenshot({ path: file, fullPage: false })
  return file
}

/** Go to a console route (`#/topics`) the way a user's link would (a new history entry). */
export async function goto(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => { location.hash = h }, hash)
}

/** The page's text content of a selector once it matches `re` (waits up to timeoutMs). */
export async function waitForText(page: Page, selector: string, re: RegExp, timeoutMs = 15_000): Promise<string> {
  const handle = await page.waitForFunction(([sel, src, flags]) => {
    const el = document.querySelector(sel)
    const t = el?.textContent ?? ''
    return new RegExp(src, flags).test(t) ? t : null
  }, [selector, re.source, re.flags] as const, { timeout: timeoutMs, polling: 100 })
  return (await handle.jsonValue()) as string
}
