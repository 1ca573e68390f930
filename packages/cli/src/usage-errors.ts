/**
 * yargs' own parse-failure messages ("Unknown argument: partitons", "Not enough
 * non-option arguments: got 0, need at least 1") reworded for the person at the
 * terminal: an unknown flag gets "did you mean", a missing positional is named
 * with the command's usage, a bad choice lists the choices. What yargs knows at
 * the failure (the command being parsed, its flags and subcommands) comes in as
 * a `ParseContext`, so this stays a pure function.
 */

export interface ParseContext {
  /** The command words parsed so far, e.g. ['topics', 'create']. */
  commands: string[]
  /** Their declarations, e.g. ['topics', 'create <topic>']. */
  fullCommands: string[]
  /** Every flag the command accepts, long names and aliases, without dashes. */
  flags: string[]
  /** The subcommands of the command parsed so far. */
  subcommands: string[]
  /** The raw arguments, to tell a mistyped flag from a mistyped command word. */
  argv: string[]
}

/** Our one line for a yargs failure message (unknown shapes pass through, as one line). */
export function usageMessage(msg: string, ctx: ParseContext): string {
  const unknown = /^Unknown arguments?: (.+)$/s.exec(msg)
  if (unknown) return unknownArguments(unknown[1]!.split(', ').map((s) => s.replace(/^"|"$/g, '')), ctx)
  const notEnough = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(msg)
  if (notEnough) return missingPositional(ctx, Number(notEnough[1]))
  const tooMany = /^Too many non-option arguments/.exec(msg)
  if (tooMany) return `${commandLine(ctx)}: too many arguments`
  const choice = /^Invalid values:\s*Argument: ([^,]+), Given: (.+), Choices: (.+)$/s.exec(msg)
  if (choice) {
    const declared = ctx.fullCommands[ctx.fullCommands.length - 1] ?? ''
    const positional = new RegExp(`[<[]${choice[1]}[>\\]]`).test(declared)
    return `${positional ? `<${choice[1]}>` : `--${choice[1]}`}: ${choice[2]!.replace(/^"|"$/g, "'")} is not one of ${choice[3]!.replace(/"/g, '')}`
  }
  const missing = /^Missing required arguments?: (.+)$/.exec(msg)
  if (missing) return `${commandLine(ctx)}: missing ${missing[1]!.split(', ').map((f) => `--${f}`).join(', ')}`
  const recommended = /^Did you mean (.+)\?$/.exec(msg)
  if (recommended) {
    const typed = ctx.argv.filter((a) => !a.startsWith('-'))[ctx.commands.length] ?? ''
    return `unknown command '${[...ctx.commands, typed].join(' ')}'; did you mean '${[...ctx.commands, recommended[1]].join(' ')}'?`
  }
  return msg.replace(/\s*\n\s*/g, '; ')
}

function unknownArguments(args: string[], ctx: ParseContext): string {
  // yargs names a flag in both spellings (from-begining, fromBegining): one is enough.
  const flat = (s: string): string => s.replace(/-/g, '').toLowerCase()
  args = args.filter((a, i) => args.findIndex((b) => flat(b) === flat(a)) === i)
  const first = args[0]!
  const typedAsFlag = ctx.argv.find((a) => a.replace(/^-+/, '').split('=')[0] === first && a.startsWith('-'))
  if (typedAsFlag) {
    const long = ctx.flags.filter((f) => f.length > 1)
    // A one-letter flag is no typo to measure: suggest the one long flag with that initial, if only one.
    const initial = first.length === 1 ? long.filter((f) => f[0] === first && !['help', 'version', 'json'].includes(f)) : []
    const suggestion = first.length === 1 ? (initial.length === 1 ? initial[0] : undefined) : closest(first, long)
    const shown = typedAsFlag.split('=')[0]!
    return `unknown flag ${shown}${suggestion ? `; did you mean --${suggestion}?` : ''}${args.length > 1 ? ` (also unknown: ${args.slice(1).join(', ')})` : ''}`
  }
  const where = ctx.commands.length ? `tributary ${ctx.commands.join(' ')}` : 'tributary'
  if (ctx.subcommands.length) {
    const suggestion = closest(first, ctx.subcommands)
    return `unknown command '${[...ctx.commands, first].join(' ')}'; ${suggestion ? `did you mean '${[...ctx.commands, suggestion].join(' ')}'? ` : ''}${where} takes ${ctx.subcommands.join(', ')}`
  }
  return `${where}: unexpected argument '${first}'`
}

function missingPositional(ctx: ParseContext, got: number): string {
  const declared = ctx.fullCommands[ctx.fullCommands.length - 1] ?? ''
  const required = [...declared.matchAll(/<([^>]+)>/g)].map((m) => m[1]!)
  const name = required[got]
  if (name === undefined) {
    // A command group without its subcommand (demandCommand of a group uses its own text).
    return `${commandLine(ctx)}: give a subcommand${ctx.subcommands.length ? ` (${ctx.subcommands.join(', ')})` : ''}`
  }
  return `missing <${name}>: tributary ${[...ctx.commands.slice(0, -1), declared].join(' ')}`
}

function commandLine(ctx: ParseContext): string {
  return ctx.commands.length ? `tributary ${ctx.commands.join(' ')}` : 'tributary'
}

/** The candidate within a small edit distance of `word` (a typo, a missing dash, a swapped pair), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase()
  let best: { c: string; d: number } | undefined
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase())
    if (best === undefined || d < best.d) best = { c, d }
  }
  // Up to a third of the word may be wrong: enough for typos, not for unrelated words.
  return best && best.d <= Math.max(1, Math.floor(word.length / 3)) ? best.c : undefined
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}
