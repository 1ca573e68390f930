/**
 * How a subscription to names and RegExps reaches the group coordinator: one
 * regex source in `subscribedTopicRegex`, which the broker compiles as
 * `new RegExp('^(?:' + source + ')$')`: no flags, and the whole topic name must
 * match (Kafka's Pattern.matches). A RegExp object's flags do not travel in its
 * source, so a flag that changes what matches is refused here rather than
 * silently dropped.
 */
import { topicRegexProblem } from '@tributary/protocol'
import { ArgumentError } from './errors.js'

/**
 * Flags that would change the match: i (case), u and v (they change how the source
 * parses: /\u{61}/u is "a", without u it is 61 "u"s). The others cannot change a test
 * against a legal topic name ([a-zA-Z0-9._-], no line breaks): g, y and d only
 * affect lastIndex and match indices, m and s only line breaks.
 */
const MEANINGFUL_FLAGS = /[iuv]/g

/** Throws ArgumentError for a RegExp whose meaning the coordinator could not keep. */
export function checkTopicRegExp(re: RegExp): void {
  const lost = re.flags.match(MEANINGFUL_FLAGS)
  if (lost) {
    const hint = lost.includes('i') ? ` (for case-insensitive matching, spell the cases out, e.g. /[Oo]rders/)` : ''
    throw new ArgumentError(
      `subscribe: ${String(re)} has flag${lost.length > 1 ? 's' : ''} ${lost.join('')}, which the group coordinator cannot apply: it compiles the pattern's source alone, so the flag would be silently lost${hint}`,
    )
  }
}

/** One source for names and RegExps (each already passed checkTopicRegExp), checked to compile as the broker will compile it. */
export function subscriptionRegex(names: readonly string[], regexes: readonly RegExp[]): string {
  if (regexes.length > 1 && regexes.some((re) => /\\[1-9]/.test(re.source))) {
    // Joined into one pattern, group numbers shift: a later RegExp's \1 would point into an earlier one.
    throw new ArgumentError('subscribe: a RegExp with a numbered backreference cannot be combined with other RegExps; use one RegExp')
  }
  for (const re of regexes) {
    const problem = topicRegexProblem(re.source)
    if (problem !== null) throw new ArgumentError(`subscribe: ${String(re)}: ${problem}; the group coordinator matches it against every topic name`)
  }
  const source = [...names.map(escapeRegex), ...regexes.map((x) => x.source)].map((s) => `(?:${s})`).join('|')
  const together = topicRegexProblem(source)
  if (together !== null) throw new ArgumentError(`subscribe: the RegExps together: ${together}`)
  try {
    new RegExp(`^(?:${source})$`)
  } catch (err) {
    throw new ArgumentError(`subscribe: the combined topic pattern does not compile without flags: ${(err as Error).message}`)
  }
  return source
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * Warnings for RegExps that match none of `topicNames` as the coordinator matches
 * them (the whole name). A pattern that matches part of a name is the usual
 * mistake (/orders/ for "orders-eu"): the warning names such a topic.
 */
export function unmatchedPatternWarnings(regexes: readonly RegExp[], topicNames: readonly string[]): Array<{ pattern: string; message: string }> {
  const out: Array<{ pattern: string; message: string }> = []
  for (const re of regexes) {
    const whole = new RegExp(`^(?:${re.source})$`)
    if (topicNames.some((name) => whole.test(name))) continue
    const part = new RegExp(re.source)
    const partly = topicNames.find((name) => part.test(name))
    const hint = partly === undefined ? '' : ` ("${partly}" only contains a match: write /.*(?:${re.source}).*/ to match names containing it)`
    out.push({
      pattern: String(re),
      message: `subscribe: ${String(re)} matches no topic now; a subscription pattern must match the whole topic name, as in Kafka${hint}. The group picks up matching topics when they are created.`,
    })
  }
  return out
}
