#!/usr/bin/env node
/**
 * The `tributary` executable: every subcommand is registered in cli.ts
 * (buildCli), the `broker` one from commands/broker.ts as it stands.
 */
import { hideBin } from 'yargs/helpers'
import { main } from './cli.js'
import { exitOnBrokenPipe, exitWhenFlushed } from './exit.js'

exitOnBrokenPipe(process.stdout)
const code = await main(hideBin(process.argv))
// Commands leave no work behind, but client sockets and timers may linger: exit
// now, once the output is out (a bare process.exit drops what a slow pipe has not
// taken yet). `broker` reports through process.exitCode.
await exitWhenFlushed(code || Number(process.exitCode ?? 0))
