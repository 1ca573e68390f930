/**
 * A subcommand's arguments as one table, shared by the commands: its
 * positionals, then its options (yargs' own option objects), and the options
 * several commands take alike.
 */
import type { Argv, Options, PositionalOptions } from 'yargs'

/** A positional a subcommand cannot run without: `<topic>`, `<group>`, `<name>`. */
export const REQUIRED: PositionalOptions = { type: 'string', demandOption: true }

/** A subcommand's builder: its positionals, then its options, in the order help lists them. */
export function args(positionals: Record<string, PositionalOptions>, options: Record<string, Options> = {}): (c: Argv) => Argv {
  return (c) => Object.entries(positionals).reduce((y, [name, p]) => y.positional(name, p), c).options(options)
}

/** `--partition/-p`, repeatable or comma-separated; `all` says which partitions no flag means. */
export const partitionsOption = (all: string): Options => ({ alias: 'p', type: 'string', array: true, describe: `partitions (repeatable or comma-separated; default: ${all})` })
