/**
 * How the CLI logs in: global --user, --password, --password-file,
 * --token-file, --sasl-mechanism and --command-config FILE, each with a
 * TRIBUTARY_* env twin. Precedence: flag > env > --command-config.
 *
 * --command-config reads Kafka-style client properties (as Kafka's tools do):
 *   sasl.mechanism        SCRAM-SHA-256 | SCRAM-SHA-512 | PLAIN | OAUTHBEARER
 *   sasl.username, sasl.password         (Tributary's simple keys)
 *   sasl.jaas.config      only its username="..." and password="..." are read
 *   sasl.token.file       a file holding an OAUTHBEARER token (re-read at every login)
 *   ssl.ca.location       the CA to trust (as --tls-ca; librdkafka's name)
 *   ssl.certificate.location, ssl.key.location   a client certificate (as --tls-cert, --tls-key)
 * Other keys (security.protocol, ...) are accepted and ignored.
 */
import { readFileSync } from 'node:fs'
import type { Argv } from 'yargs'
import type { SaslConfig } from '@tributary/client'
import { UsageError } from './errors.js'
import { readSecretFile } from './secret-input.js'

export interface AuthArgs {
  user?: string
  password?: string
  passwordFile?: string
  tokenFile?: string
  saslMechanism?: string
  commandConfig?: string
}

/** The global login flags (a one-letter typo like -p is not taken for one of them). */
export const AUTH_FLAGS: readonly string[] = ['user', 'password', 'password-file', 'token-file', 'sasl-mechanism', 'command-config']

const ENV = {
  user: 'TRIBUTARY_USER',
  password: 'TRIBUTARY_PASSWORD',
  passwordFile: 'TRIBUTARY_PASSWORD_FILE',
  tokenFile: 'TRIBUTARY_TOKEN_FILE',
  saslMechanism: 'TRIBUTARY_SASL_MECHANISM',
  commandConfig: 'TRIBUTARY_COMMAND_CONFIG',
} as const

export function authOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('user', { type: 'string', global: true, describe: `SASL user name (env ${ENV.user})` })
    .option('password', { type: 'string', global: true, describe: `SASL password (env ${ENV.password}; prefer --password-file)` })
    .option('password-file', { type: 'string', global: true, describe: `file whose first line is the password (env ${ENV.passwordFile})` })
    .option('token-file', { type: 'string', global: true, describe: `file holding an OAUTHBEARER token, re-read at every login (env ${ENV.tokenFile})` })
    .option('sasl-mechanism', { type: 'string', global: true, describe: `scram-sha-256 (default with --user), scram-sha-512, plain, oauthbearer (env ${ENV.saslMechanism})` })
    .option('command-config', { type: 'string', global: true, describe: `Kafka-style client properties file: sasl.mechanism, sasl.username, sasl.password, sasl.jaas.config, sasl.token.file, ssl.ca.location (env ${ENV.commandConfig})` }) as Argv<T>
}

/** key=value lines; `#` and `!` start comments, as in Java properties (no line continuations). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line)
    if (m) out.set(m[1]!, m[2]!)
  }
  return out
}

/** username="..." and password="..." from a sasl.jaas.config value. */
function fromJaas(jaas: string | undefined): { username?: string; password?: string } {
  if (!jaas) return {}
  const pick = (k: string) => new RegExp(`\\b${k}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(jaas)?.[1]?.replace(/\\(.)/g, '$1')
  return { username: pick('username'), password: pick('password') }
}

export interface ClientAuth { sasl?: SaslConfig }

const picker = (args: AuthArgs, env: Record<string, string | undefined>) => <K extends keyof AuthArgs>(k: K): string | undefined => {
  const v = args[k] ?? env[ENV[k]]
  return v === undefined || v === '' ? undefined : String(v)
}

function commandConfig(args: AuthArgs, env: Record<string, string | undefined>): Map<string, string> {
  const configPath = picker(args, env)('commandConfig')
  if (!configPath) return new Map()
  try {
    return parseProperties(readFileSync(configPath, 'utf8'))
  } catch (err) {
    throw new UsageError(`--command-config: cannot read ${configPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/** The TLS files a --command-config names, as the TLS flags spell them (tls-flags.ts reads them). */
export function commandConfigTls(args: AuthArgs, env: Record<string, string | undefined>): { 'tls-ca'?: string; 'tls-cert'?: string; 'tls-key'?: string } {
  const props = commandConfig(args, env)
  return { 'tls-ca': props.get('ssl.ca.location'), 'tls-cert': props.get('ssl.certificate.location'), 'tls-key': props.get('ssl.key.location') }
}

export function clientAuthFrom(args: AuthArgs, env: Record<string, string | undefined>): ClientAuth {
  const pick = picker(args, env)
  const props = commandConfig(args, env)
  const jaas = fromJaas(props.get('sasl.jaas.config'))
  const user = pick('user') ?? props.get('sasl.username') ?? jaas.username
  const passwordFile = pick('passwordFile')
  let password = pick('password')
  if (password !== undefined && passwordFile !== undefined) throw new UsageError('give --password or --password-file, not both')
  if (passwordFile !== undefined) password = readSecretFile('password-file', passwordFile)
  password ??= props.get('sasl.password') ?? jaas.password
  const tokenFile = pick('tokenFile') ?? props.get('sasl.token.file')
  const mechanism = (pick('saslMechanism') ?? props.get('sasl.mechanism') ?? (tokenFile ? 'oauthbearer' : user !== undefined ? 'scram-sha-256' : undefined))?.toLowerCase()
  if (mechanism === undefined) return {}
  if (mechanism === 'oauthbearer') {
    if (!tokenFile) throw new UsageError('--sasl-mechanism oauthbearer needs --token-file')
    readSecretFile('token-file', tokenFile) // fail now, with the flag's name, if it cannot be read
    return { sasl: { mechanism, token: () => readSecretFile('token-file', tokenFile) } }
  }
  if (mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512' && mechanism !== 'plain') {
    throw new UsageError(`--sasl-mechanism: '${mechanism}' is not one of scram-sha-256, scram-sha-512, plain, oauthbearer`)
  }
  if (user === undefined) throw new UsageError(`--sasl-mechanism ${mechanism} needs --user`)
  if (password === undefined) throw new UsageError(`--user ${user} needs --password-file (or --password, or sasl.password in --command-config)`)
  return { sasl: { mechanism, username: user, password } }
}
