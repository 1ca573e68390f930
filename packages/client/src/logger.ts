/**
 * Where the SDK reports what an application should know but that is not an
 * error of any call (a RegExp subscription that matches no topic). The default
 * writes one line to the console; `new Tributary({ logger })` replaces it (pass
 * `{ warn() {} }` to silence it).
 */
export interface ClientLogger {
  warn(message: string, fields?: Record<string, unknown>): void
}

export const consoleLogger: ClientLogger = {
  warn(message, fields) {
    if (fields === undefined) console.warn(`[tributary] ${message}`)
    else console.warn(`[tributary] ${message}`, fields)
  },
}
