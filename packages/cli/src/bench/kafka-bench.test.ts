import { spawnSync } from 'node:child_process'
import { childrenCpuMs } from './kafka-bench.js'

describe("childrenCpuMs: a client's CPU from the shell's `times`", () => {
  test('reads the last line (the children), in ms', () => {
    expect(childrenCpuMs('some error output\n0m0.000000s 0m0.000000s\n0m1.290000s 0m0.050000s\n')).toBe(1340)
    expect(childrenCpuMs('0m0.00s 0m0.00s\n1m2.500s 0m0.250s')).toBe(62_750)
  })

  test('is 0 when there is no such line', () => {
    expect(childrenCpuMs('')).toBe(0)
    expect(childrenCpuMs('kcat: broker transport failure')).toBe(0)
  })

  test('measures a busy child through the same shell line the bench runs it with', () => {
    const busy = 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'
    const r = spawnSync('sh', ['-c', '"$0" "$@"; s=$?; times >&2; exit $s', 'sh', '-c', busy], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(childrenCpuMs(r.stderr)).toBeGreaterThan(0)
  })
})
