export * from './mechanisms.js'
export * from './scram-messages.js'
