#!/usr/bin/env node
/**
 * The `tributary` executable: every subcommand is registered in cli.ts
 * (buildCli), the `broker` one from commands/broker.ts as it stands.
 */
import { hideBin } from 'yargs/helpers'
import { main } from './cli.js'

const code = await main(hideBin(process.argv))
// Commands leave no work behind, but client sockets and timers may linger: exit
// now. `broker` reports through process.exitCode.
process.exit(code || Number(process.exitCode ?? 0))
