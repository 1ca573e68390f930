#!/usr/bin/env node
/**
 * The `tributary` executable. For now it carries the `broker` subcommand; the
 * other subcommands hook in here as they land.
 */
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { brokerCommand, EXIT_USAGE } from './commands/broker.js'

await yargs(hideBin(process.argv))
  .scriptName('tributary')
  .command(brokerCommand)
  .demandCommand(1, 'give a command (see tributary --help)')
  .strict()
  .help()
  .version(false)
  .fail((msg, err) => {
    process.stderr.write(`error: ${(err?.message ?? msg ?? 'invalid arguments').split('\n')[0]}\n`)
    process.exit(EXIT_USAGE)
  })
  .parseAsync()
