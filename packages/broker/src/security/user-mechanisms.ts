/**
 * The client SASL mechanisms a node serves (--sasl-mechanisms): SCRAM-SHA-256,
 * SCRAM-SHA-512 and PLAIN against the credentials in this node's metadata image,
 * OAUTHBEARER against the configured token keys. Every session they open ends
 * after --sasl-session-max-ms (a token's session at its exp, if sooner); the
 * client re-authenticates before then and a deleted or changed user fails it.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { SCRAM_MECHANISMS, scramByName, type ScramMechanismName } from '@tributary/protocol'
import type { BrokerConfig } from '../config.js'
import type { MetadataView } from '../metadata/image-types.js'
import type { Clock, Session } from '../seams.js'
import { userPrincipal, type CredentialSource } from './credentials.js'
import { publicKeyFromPem, publicKeysFromJwks, type JwtKeys } from './jwt.js'
import { oauthBearerProvider } from './oauthbearer-server.js'
import { plainProvider } from './plain-server.js'
import type { SaslMechanismProvider } from './sasl.js'
import { scramProvider } from './scram-server.js'

type UserAuthConfig = Pick<BrokerConfig,
  'saslMechanisms' | 'saslSessionMaxMs' | 'allowPlaintextPasswords' | 'oauthAudience' | 'oauthIssuer' | 'oauthPrincipalClaim'
  | 'oauthJwtSecretFile' | 'oauthJwtPublicKeyFile' | 'oauthJwksFile'>

/** The SCRAM credentials in this node's image, read at each (re-)authentication. */
export function imageCredentials(metadata: MetadataView): CredentialSource {
  return {
    scram: (user, mechanism) => metadata.image().users.get(user)?.get(mechanism),
    scramAll: (user) => [...(metadata.image().users.get(user) ?? [])].map(([mechanism, credential]) => ({ mechanism: mechanism as ScramMechanismName, credential })),
  }
}

/** Reads the OAUTHBEARER key files (main.ts: the file I/O stays at the edge). Errors name the file, never its content. */
export async function loadJwtKeys(config: UserAuthConfig): Promise<JwtKeys | undefined> {
  if (!config.saslMechanisms.includes('OAUTHBEARER')) return undefined
  const keys: JwtKeys = { publicKeys: [] }
  const read = async (flag: string, path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8')
    } catch (err) {
      throw new Error(`--${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
    }
  }
  if (config.oauthJwtSecretFile) {
    const secret = (await read('oauth-jwt-secret-file', config.oauthJwtSecretFile)).replace(/\r?\n$/, '')
    if (secret.length < 32) throw new Error(`--oauth-jwt-secret-file ${config.oauthJwtSecretFile}: an HS256 secret must be at least 32 bytes`)
    keys.hmacSecret = new TextEncoder().encode(secret)
  }
  try {
    if (config.oauthJwtPublicKeyFile) keys.publicKeys.push({ key: publicKeyFromPem(await read('oauth-jwt-public-key-file', config.oauthJwtPublicKeyFile)) })
    if (config.oauthJwksFile) keys.publicKeys.push(...publicKeysFromJwks(await read('oauth-jwks-file', config.oauthJwksFile)))
  } catch (err) {
    throw new Error(`OAUTHBEARER keys: ${(err as Error).message.split('\n')[0]}`, { cause: err })
  }
  if (!keys.hmacSecret && keys.publicKeys.length === 0) {
    throw new Error('--sasl-mechanisms oauthbearer needs --oauth-jwt-secret-file, --oauth-jwt-public-key-file or --oauth-jwks-file')
  }
  return keys
}

export function userMechanismProviders(deps: { config: UserAuthConfig; clock: Clock; metadata: MetadataView; jwtKeys?: JwtKeys }): SaslMechanismProvider[] {
  const { config, clock } = deps
  const credentials = imageCredentials(deps.metadata)
  const session = (user: string, mechanism: string, tokenExpiresAtMs = Infinity): Session => ({
    principal: userPrincipal(user),
    authenticated: true,
    mechanism,
    expiresAtMs: Math.min(clock.now() + config.saslSessionMaxMs, tokenExpiresAtMs),
  })
  // Fake salts for unknown users are keyed per process: stable while it runs, unguessable.
  const fakeSaltKey = new Uint8Array(randomBytes(32))
  const out: SaslMechanismProvider[] = []
  for (const name of config.saslMechanisms) {
    const scram = scramByName(name)
    if (scram && SCRAM_MECHANISMS.includes(scram)) out.push(scramProvider({ params: scram, credentials, fakeSaltKey, session }))
    else if (name === 'PLAIN') out.push(plainProvider({ credentials, allowPlaintextPasswords: config.allowPlaintextPasswords, session: (user) => session(user, 'PLAIN') }))
    else if (name === 'OAUTHBEARER' && deps.jwtKeys) {
      out.push(oauthBearerProvider({
        keys: deps.jwtKeys,
        policy: { audience: config.oauthAudience ?? undefined, issuer: config.oauthIssuer ?? undefined, principalClaim: config.oauthPrincipalClaim },
        clock,
        session: (user, exp) => session(user, 'OAUTHBEARER', exp),
      }))
    }
  }
  return out
}
