/** The two codec packages that ship no types: only what compression-codecs.ts calls. */
declare module 'snappyjs' {
  export function compress(uncompressed: Uint8Array): Uint8Array
}
declare module 'lz4js' {
  export function decompressBound(src: Uint8Array): number
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array | number[]
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array | number[]
}
