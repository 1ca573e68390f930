#!/usr/bin/env node
/**
 * The size rules of the code (docs/ARCHITECTURE.md, issue #23): no source file over
 * FILE_LINES_MAX lines and no function over FUNCTION_LINES_MAX lines, tests left out.
 * A function whose body is one `switch` (a flat table of cases) is allowed to be long.
 *
 *   node scripts/code-size.mjs            lists what is over and exits 1 if anything is
 *
 * It reads packages/{name}/src and e2e/src with the TypeScript compiler's parser (no type check).
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const FILE_LINES_MAX = 400
const FUNCTION_LINES_MAX = 80

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const roots = [...readdirSync(path.join(root, 'packages')).map((p) => path.join(root, 'packages', p, 'src')), path.join(root, 'e2e', 'src')]

function* sources(dir) {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const e of entries) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) yield* sources(full)
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) yield full
  }
}

const lineOf = (sf, pos) => sf.getLineAndCharacterOfPosition(pos).line + 1

function nameOf(node) {
  if (node.name) return node.name.getText()
  const p = node.parent
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p))) return p.name.getText()
  return '<anonymous>'
}

/** One `switch` is all the body holds (a flat table of cases). */
const isFlatSwitch = (body) => ts.isBlock(body) && body.statements.length === 1 && ts.isSwitchStatement(body.statements[0])

const over = []
for (const dir of roots) {
  for (const file of sources(dir)) {
    const text = readFileSync(file, 'utf8')
    const rel = path.relative(root, file)
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
    if (lines > FILE_LINES_MAX) over.push(`${rel}: ${lines} lines (file, max ${FILE_LINES_MAX})`)
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
    const visit = (node) => {
      if (ts.isFunctionLike(node) && node.body && !isFlatSwitch(node.body)) {
        const n = lineOf(sf, node.body.getEnd()) - lineOf(sf, node.body.getStart()) + 1
        if (n > FUNCTION_LINES_MAX) over.push(`${rel}:${lineOf(sf, node.getStart())}: ${nameOf(node)} ${n} lines (function, max ${FUNCTION_LINES_MAX})`)
      }
      ts.forEachChild(node, visit)
    }
    visit(sf)
  }
}
for (const line of over) console.log(line)
if (over.length > 0) process.exit(1)
console.log(`every file within ${FILE_LINES_MAX} lines, every function within ${FUNCTION_LINES_MAX}`)
