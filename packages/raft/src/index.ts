export * from './types.js'
export type { DurableRaftLog } from './durable.js'
