/**
 * `tributary metadata voters add <id> | remove <id>`: change the metadata quorum's
 * voter set, one voter at a time (KIP-853's AddRaftVoter / RemoveRaftVoter, as
 * kafka-metadata-quorum add-controller / remove-controller). Prints the voter set in
 * force afterwards.
 */
import type { CommandModule } from 'yargs'
import { positiveInt } from '../args.js'
import { clientFor } from '../connect.js'
import { printJson, println } from '../io.js'
import { runCommand, type Ctx, type Runtime } from '../runtime.js'

interface VoterArgs {
  action: 'add' | 'remove'
  id: string
}

export function votersCommand(rt: Runtime): CommandModule {
  return {
    command: 'voters <action> <id>',
    describe: 'add a caught-up observer as a metadata quorum voter, or remove a voter (one at a time; it stays an observer)',
    builder: (c) =>
      c
        .positional('action', { choices: ['add', 'remove'] as const, describe: 'add: the node (an observer that has caught up) becomes a voter; remove: it stops voting' })
        .positional('id', { type: 'string', describe: 'node id' }),
    handler: runCommand<VoterArgs>(rt, changeVoters),
  }
}

async function changeVoters(a: VoterArgs, ctx: Ctx): Promise<void> {
  const voterId = positiveInt('id', a.id)
  const admin = clientFor(ctx).admin()
  if (a.action === 'add') await admin.addRaftVoter({ voterId, timeoutMs: ctx.timeoutMs })
  else await admin.removeRaftVoter({ voterId, timeoutMs: ctx.timeoutMs })
  const q = await admin.describeQuorum()
  const voters = q.voters.map((v) => v.nodeId).sort((x, y) => x - y)
  if (ctx.json) printJson(ctx.io, { action: a.action, nodeId: voterId, leaderId: q.leaderId, leaderEpoch: q.leaderEpoch, voters })
  else println(ctx.io, `${a.action === 'add' ? 'added' : 'removed'} voter ${voterId}; voters now ${voters.join(',')} (leader ${q.leaderId}, epoch ${q.leaderEpoch})`)
}
