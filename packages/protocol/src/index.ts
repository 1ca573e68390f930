export * from './errors.js'
export * from './api.js'
export * from './envelope.js'
