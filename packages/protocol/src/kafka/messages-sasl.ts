/**
 * SASL on the Kafka listener, from apache/kafka's SaslHandshake and
 * SaslAuthenticate message JSON files. After SaslHandshake v0 the mechanism's
 * tokens travel as bare size-prefixed frames (the listener handles that
 * framing); from v1 each is wrapped in SaslAuthenticate (KIP-152).
 */
import { errorFields, field as f, message } from './schema.js'

export const SaslHandshakeRequest = message('SaslHandshakeRequest', 17, '0-1', 'none', [f('Mechanism', 'string', '0+')])
export const SaslHandshakeResponse = message('SaslHandshakeResponse', 17, '0-1', 'none', [
  f('ErrorCode', 'int16', '0+'),
  f('Mechanisms', '[]string', '0+'),
])

export const SaslAuthenticateRequest = message('SaslAuthenticateRequest', 36, '0-2', '2+', [f('AuthBytes', 'bytes', '0+')])
export const SaslAuthenticateResponse = message('SaslAuthenticateResponse', 36, '0-2', '2+', [
  ...errorFields(),
  f('AuthBytes', 'bytes', '0+'),
  f('SessionLifetimeMs', 'int64', '1+'),
])
