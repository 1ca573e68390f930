/**
 * Code blocks of the READMEs that must run, so docs cannot rot: a fence whose
 * info string is `ts runnable` (or `js runnable`) marks one. GitHub shows it as
 * plain TypeScript; e2e/src/readme-snippets.test.ts runs each against a real cluster.
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'

export interface Snippet {
  /** Relative to the repository root, e.g. packages/client/README.md. */
  file: string
  /** 1-based line of the opening fence. */
  line: number
  lang: 'ts' | 'js'
  code: string
  /** `partition: N` stated in a comment of the snippet: the run must print the same. */
  partitionClaims: number[]
}

const FENCE = /^```(ts|js) runnable[ \t]*\n([\s\S]*?)^```[ \t]*$/gm
const PARTITION_CLAIM = /\/\/.*?\bpartition: (\d+)/g

/** Every runnable block of one markdown text. */
export function extractSnippets(file: string, markdown: string): Snippet[] {
  const out: Snippet[] = []
  for (const m of markdown.matchAll(FENCE)) {
    const code = m[2]
    out.push({
      file,
      line: markdown.slice(0, m.index).split('\n').length,
      lang: m[1] as 'ts' | 'js',
      code,
      partitionClaims: [...code.matchAll(PARTITION_CLAIM)].map((c) => Number(c[1])),
    })
  }
  return out
}

/** README.md and packages/<each>/README.md. */
export async function readmeFiles(repoRoot: string): Promise<string[]> {
  const packages = await readdir(path.join(repoRoot, 'packages'), { withFileTypes: true })
  const files = ['README.md', ...packages.filter((d) => d.isDirectory()).map((d) => path.join('packages', d.name, 'README.md'))]
  const present: string[] = []
  for (const f of files) if (await readFile(path.join(repoRoot, f)).then(() => true, () => false)) present.push(f)
  return present
}
