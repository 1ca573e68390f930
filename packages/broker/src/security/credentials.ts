/**
 * What the authentication mechanisms need from the metadata image: a user's
 * SCRAM credential for one mechanism, read at each (re-)authentication, so a
 * changed or deleted user is seen at the next one.
 */
import type { ScramMechanismName } from '@tributary/protocol'

export interface ScramCredential {
  salt: Uint8Array
  iterations: number
  storedKey: Uint8Array
  serverKey: Uint8Array
}

export interface CredentialSource {
  scram(user: string, mechanism: ScramMechanismName): ScramCredential | undefined
  /** Every credential of a user (PLAIN checks a password against any of them). */
  scramAll(user: string): Array<{ mechanism: ScramMechanismName; credential: ScramCredential }>
}

/** `User:<name>`: the principal a SCRAM, PLAIN or token login yields. */
export const userPrincipal = (name: string): string => `User:${name}`
