/**
 * The CLI's TLS flags for wss:// clusters: `--tls-ca` (trust the cluster CA) and
 * `--tls-cert` + `--tls-key` (a client certificate, for brokers that require
 * one), each with its TRIBUTARY_* env twin (the same names a broker reads, so
 * inside a node's container the CLI trusts and presents what the node does).
 */
import { readFileSync } from 'node:fs'
import type { Argv } from 'yargs'
import type { TlsOptions } from '@tributary/client'
import { UsageError } from './errors.js'

export interface TlsArgs {
  'tls-ca'?: string
  'tls-cert'?: string
  'tls-key'?: string
}

export function tlsOptions<T>(y: Argv<T>): Argv<T & TlsArgs> {
  return y
    .option('tls-ca', { type: 'string', global: true, requiresArg: true, describe: 'PEM CA file to trust for wss:// brokers (env TRIBUTARY_TLS_CA)' })
    .option('tls-cert', { type: 'string', global: true, requiresArg: true, describe: 'PEM client certificate for brokers that require one (env TRIBUTARY_TLS_CERT)' })
    .option('tls-key', { type: 'string', global: true, requiresArg: true, describe: 'PEM private key of --tls-cert (env TRIBUTARY_TLS_KEY)' }) as Argv<T & TlsArgs>
}

/** The SDK's `tls` option from flags, then env; undefined when none is given. Unreadable files are a usage error. */
export function tlsFrom(args: TlsArgs, env: Record<string, string | undefined>): TlsOptions | undefined {
  const ca = args['tls-ca'] ?? (env.TRIBUTARY_TLS_CA || undefined)
  const cert = args['tls-cert'] ?? (env.TRIBUTARY_TLS_CERT || undefined)
  const key = args['tls-key'] ?? (env.TRIBUTARY_TLS_KEY || undefined)
  if (!ca && !cert && !key) return undefined
  if (!cert !== !key) throw new UsageError('--tls-cert and --tls-key go together: give both or neither')
  const read = (flag: string, file: string | undefined): Buffer | undefined => {
    if (!file) return undefined
    try {
      return readFileSync(file)
    } catch (err) {
      throw new UsageError(`--${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
  }
  return { ca: read('tls-ca', ca), cert: read('tls-cert', cert), key: read('tls-key', key) }
}
