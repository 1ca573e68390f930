/**
 * SASL in the SDK. The exchange runner and the mechanism interface live in
 * @tributary/protocol (the brokers' peer connections run the same exchange);
 * the SDK's mechanisms (SCRAM, PLAIN, OAUTHBEARER) implement SaslClientMechanism
 * and BrokerConnection runs one on every new connection, after ApiVersions and
 * before any other request.
 */
export { authenticate, SASL_STEPS_MAX, type SaslClientMechanism, type SaslOutcome } from '@tributary/protocol'
export { ScramClient, SaslAuthenticationError, scramSaltedPassword } from './scram.js'
export { PlainClient } from './plain.js'
export { OAuthBearerClient } from './oauthbearer.js'
export { checkSaslConfig, saslClientFor, saslMechanismFactory, type SaslConfig } from './config.js'
