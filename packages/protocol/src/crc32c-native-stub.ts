/** Browsers: no native CRC-32C (see crc32c-native.ts); the JS loop does it. */
import type { NativeCrc32c } from './crc32c-native.js'

export const nativeCrc32c: NativeCrc32c | null = null
