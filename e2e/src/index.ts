export * from './cluster.js'
export * from './certs.js'
