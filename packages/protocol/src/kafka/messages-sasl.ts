/**
 * SASL on the Kafka listener, from apache/kafka's SaslHandshake and
 * SaslAuthenticate message JSON files. SaslHandshake is served at v1 only: v0
 * sends the mechanism's tokens as bare frames after the handshake, where v1
 * wraps each in SaslAuthenticate (KIP-152), which every client we test uses.
 */
import { field as f, message } from './schema.js'

export const SaslHandshakeRequest = message('SaslHandshakeRequest', 17, '1', 'none', [f('Mechanism', 'string', '0+')])
export const SaslHandshakeResponse = message('SaslHandshakeResponse', 17, '1', 'none', [
  f('ErrorCode', 'int16', '0+'),
  f('Mechanisms', '[]string', '0+'),
])

export const SaslAuthenticateRequest = message('SaslAuthenticateRequest', 36, '0-2', '2+', [f('AuthBytes', 'bytes', '0+')])
export const SaslAuthenticateResponse = message('SaslAuthenticateResponse', 36, '0-2', '2+', [
  f('ErrorCode', 'int16', '0+'),
  f('ErrorMessage', 'string', '0+', { nullable: '0+', default: null }),
  f('AuthBytes', 'bytes', '0+'),
  f('SessionLifetimeMs', 'int64', '1+'),
])
