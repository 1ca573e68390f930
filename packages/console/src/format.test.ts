import { asHex, asJson, asText, bytesText, show } from './format.js'

const bytes = (s: string) => new TextEncoder().encode(s)

test('bytes as text, pretty JSON (text when not JSON) and hex (bounded)', () => {
  expect(asText(bytes('héllo'))).toBe('héllo')
  expect(asText(null)).toBe('null')
  expect(asJson(bytes('{"a":[1,2]}'))).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}')
  expect(asJson(bytes('not json'))).toBe('not json')
  expect(asHex(new Uint8Array([0, 15, 255]))).toBe('00 0f ff')
  expect(asHex(new Uint8Array(10), 4)).toBe('00 00 00 00 … (10 bytes)')
  expect(show(bytes('{}'), 'hex')).toBe('7b 7d')
})

test('bytesText', () => {
  expect(bytesText(0)).toBe('0 B')
  expect(bytesText(1023)).toBe('1023 B')
  expect(bytesText(1536)).toBe('1.5 KiB')
  expect(bytesText(200 * 1024 * 1024)).toBe('200 MiB')
  expect(bytesText(3 * 1024 ** 4)).toBe('3.0 TiB')
})
