/** Every `tributary` subcommand, registered on one yargs instance. */
import type { Argv } from 'yargs'
import type { Runtime } from '../runtime.js'
import { aclsCommand } from './acls.js'
import { benchCommand } from './bench.js'
import { brokerCommand } from './broker.js'
import { brokersCommand } from './brokers.js'
import { configsCommand } from './configs.js'
import { consumeCommand } from './consume.js'
import { devCommand } from './dev.js'
import { groupsCommand } from './groups.js'
import { metadataCommand } from './metadata.js'
import { partitionsCommand } from './partitions.js'
import { produceCommand } from './produce.js'
import { topicsCommand } from './topics.js'
import { usersCommand } from './users.js'

export function registerCommands(y: Argv, rt: Runtime): Argv {
  y.command(brokerCommand)
  for (const register of [devCommand, topicsCommand, partitionsCommand, brokersCommand, configsCommand, produceCommand, consumeCommand, groupsCommand, metadataCommand, usersCommand, aclsCommand, benchCommand]) register(y, rt)
  return y
}
