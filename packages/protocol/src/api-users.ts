/**
 * The user (SCRAM credential) management APIs, with Kafka's numbers and shapes
 * (KIP-554). `mechanism` is Kafka's ScramMechanism byte: 1 = SCRAM-SHA-256,
 * 2 = SCRAM-SHA-512. The SDK sends the salted password (PBKDF2 of the
 * password), never the password; the controller keeps only the stored and
 * server keys derived from it.
 */

// ---------------------------------------------------------------- DescribeUserScramCredentials (50)
/** users null = every user */
export interface DescribeUserScramCredentialsRequest { users: Array<{ name: string }> | null }
export interface DescribeUserScramCredentialsResponse {
  errorCode: number
  errorMessage: string | null
  results: Array<{
    user: string
    /** RESOURCE_NOT_FOUND for a named user without credentials */
    errorCode: number
    errorMessage: string | null
    credentialInfos: Array<{ mechanism: number; iterations: number }>
  }>
}

// ---------------------------------------------------------------- AlterUserScramCredentials (51)
export interface ScramCredentialDeletion { name: string; mechanism: number }
export interface ScramCredentialUpsertion { name: string; mechanism: number; iterations: number; salt: Uint8Array; saltedPassword: Uint8Array }
export interface AlterUserScramCredentialsRequest { deletions: ScramCredentialDeletion[]; upsertions: ScramCredentialUpsertion[]; timeoutMs?: number }
/** One result per user named in the request. */
export interface AlterUserScramCredentialsResponse { results: Array<{ user: string; errorCode: number; errorMessage: string | null }> }
