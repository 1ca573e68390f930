/**
 * `--tls-principal-mapping`: Kafka's `ssl.principal.mapping.rules` for the
 * subject of a verified client certificate, in RFC 2253 form (`CN=alice,OU=eng,O=Acme`).
 *
 *   RULE:pattern/replacement/[L|U]   the whole subject must match `pattern`; the
 *                                    name is the subject with every match replaced
 *                                    (`$1`, `$2` name groups), then lower/upper-cased
 *   DEFAULT                          the subject itself
 *
 * Rules are comma-separated and tried in order; the first that matches gives the
 * name. A `/` or `\` inside a pattern or replacement is escaped with `\`. No rule
 * matching means no principal (as Kafka, the certificate then identifies nobody).
 * Patterns are JavaScript regular expressions (Kafka's are Java's; the common
 * subset — groups, classes, `.*?`, anchors — reads the same).
 */
import { ErrorCode, fail, ok, type Result } from '@tributary/protocol'

interface Rule {
  /** undefined: DEFAULT */
  pattern?: RegExp
  whole?: RegExp
  replacement?: string
  caseFold?: 'L' | 'U'
}

export interface PrincipalMapper {
  /** The mapped name for an RFC 2253 subject, or undefined when no rule matches. */
  map(subject: string): string | undefined
}

export const DEFAULT_PRINCIPAL_MAPPER: PrincipalMapper = { map: (subject) => subject }

/** Parse a rule list; the error names the rule and what is wrong with it. */
export function parsePrincipalMapping(rules: string | null | undefined): Result<PrincipalMapper> {
  if (rules === null || rules === undefined || rules.trim() === '') return ok(DEFAULT_PRINCIPAL_MAPPER)
  const parsed: Rule[] = []
  let i = 0
  const skipSpace = () => { while (i < rules.length && /\s/.test(rules[i]!)) i++ }
  while (i < rules.length) {
    skipSpace()
    const start = i
    if (rules.startsWith('DEFAULT', i)) {
      i += 'DEFAULT'.length
      parsed.push({})
    } else if (rules.startsWith('RULE:', i)) {
      i += 'RULE:'.length
      const pattern = readUntilSlash(rules, i)
      if (!pattern) return fail(ErrorCode.INVALID_CONFIG, `rule at ${start}: '${rules.slice(start)}' is not RULE:pattern/replacement/[LU]`)
      const replacement = readUntilSlash(rules, pattern.end + 1)
      if (!replacement) return fail(ErrorCode.INVALID_CONFIG, `rule at ${start}: '${rules.slice(start)}' is not RULE:pattern/replacement/[LU]`)
      i = replacement.end + 1
      let caseFold: 'L' | 'U' | undefined
      if (rules[i] === 'L' || rules[i] === 'U') caseFold = rules[i++] as 'L' | 'U'
      const source = pattern.text
      let regex: RegExp
      let whole: RegExp
      try {
        regex = new RegExp(source, 'g')
        whole = new RegExp(`^(?:${source})$`)
      } catch (err) {
        return fail(ErrorCode.INVALID_CONFIG, `rule at ${start}: bad pattern '${source}': ${(err as Error).message}`)
      }
      parsed.push({ pattern: regex, whole, replacement: replacementFor(replacement.raw), caseFold })
    } else {
      return fail(ErrorCode.INVALID_CONFIG, `rule at ${start}: '${rules.slice(start)}' is neither DEFAULT nor RULE:pattern/replacement/[LU]`)
    }
    skipSpace()
    if (i < rules.length) {
      if (rules[i] !== ',') return fail(ErrorCode.INVALID_CONFIG, `rule at ${start}: unexpected '${rules.slice(i)}' (rules are separated by commas)`)
      i++
      skipSpace()
      if (i === rules.length) return fail(ErrorCode.INVALID_CONFIG, 'a rule list must not end with a comma')
    }
  }
  return ok({ map: (subject) => applyRules(parsed, subject) })
}

function applyRules(rules: readonly Rule[], subject: string): string | undefined {
  for (const rule of rules) {
    if (!rule.pattern) return subject
    if (!rule.whole!.test(subject)) continue
    rule.pattern.lastIndex = 0
    const name = subject.replace(rule.pattern, rule.replacement!)
    return rule.caseFold === 'L' ? name.toLowerCase() : rule.caseFold === 'U' ? name.toUpperCase() : name
  }
  return undefined
}

/** Text from `from` up to the next unescaped '/': the pattern keeps its escapes (regex syntax), `raw` too. */
function readUntilSlash(s: string, from: number): { text: string; raw: string; end: number } | undefined {
  let text = ''
  for (let i = from; i < s.length; i++) {
    const c = s[i]!
    if (c === '\\' && i + 1 < s.length) {
      // `\/` is a literal slash in the rule syntax; other escapes belong to the regex.
      text += s[i + 1] === '/' ? '/' : c + s[i + 1]
      i++
    } else if (c === '/') {
      return { text, raw: s.slice(from, i), end: i }
    } else {
      text += c
    }
  }
  return undefined
}

/** Kafka (Java) replacement syntax → JavaScript's: `\x` is a literal x, `$n` a group. */
function replacementFor(raw: string): string {
  let out = ''
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (c === '\\' && i + 1 < raw.length) {
      const next = raw[++i]!
      out += next === '$' ? '$$' : next
    } else {
      out += c
    }
  }
  return out
}
