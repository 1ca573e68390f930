/** How a classic group's members agree on a protocol (the assignor) from the ones each supports. */
import type { ClassicJoin, ClassicMember } from './classic-group.js'

type Protocols = ClassicJoin['protocols']

/** Kafka's vote: each member votes for the first of its protocols that every member supports; most votes wins. */
export function chooseProtocol(members: ReadonlyArray<Pick<ClassicMember, 'protocols'>>): string {
  const common = members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)))
  const votes = new Map<string, number>()
  for (const m of members) {
    const choice = m.protocols.find((p) => common.includes(p.name))!.name
    votes.set(choice, (votes.get(choice) ?? 0) + 1)
  }
  return [...votes].sort((a, b) => b[1] - a[1])[0]![0]
}

/** Why a join cannot be taken into the group with these members (null: it can): no protocol, another type, none shared. */
export function protocolProblem(req: ClassicJoin, groupId: string, protocolType: string | null, members: Iterable<ClassicMember>): string | null {
  if (req.protocols.length === 0) return 'a member must name at least one protocol'
  const others = [...members].filter((m) => m.memberId !== req.memberId)
  if (others.length === 0) return null
  if (req.protocolType !== protocolType) return `group ${groupId} runs protocol type ${protocolType}, not ${req.protocolType}`
  const shared = req.protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)))
  return shared ? null : `none of ${req.protocols.map((p) => p.name).join(', ')} is supported by every member of ${groupId}`
}

/** The same protocols with the same metadata, in the same order. */
export function sameProtocols(a: Protocols, b: Protocols): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && Buffer.compare(p.metadata, b[i]!.metadata) === 0)
}
