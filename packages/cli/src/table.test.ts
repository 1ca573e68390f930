import { formatKeyValues, formatTable } from './table.js'

describe('formatTable', () => {
  it('pads columns to the widest cell, two spaces apart, with no trailing blanks', () => {
    const out = formatTable(['GROUP', 'TOPIC', 'PARTITION'], [
      ['billing', 'orders', 0],
      ['b', 'orders-long-name', 12],
    ])
    expect(out.split('\n')).toEqual([
      'GROUP    TOPIC             PARTITION',
      'billing  orders                    0',
      'b        orders-long-name         12',
    ])
  })

  it('right-aligns numeric columns and left-aligns text', () => {
    const lines = formatTable(['N', 'NAME'], [[5, 'a'], [100, 'bb']]).split('\n')
    expect(lines).toEqual(['  N  NAME', '  5  a', '100  bb'])
  })

  it('prints a dash for missing values so columns never collapse', () => {
    const lines = formatTable(['A', 'B', 'C'], [[null, undefined, '']]).split('\n')
    expect(lines[1]).toBe('-  -  -')
  })

  it('joins arrays with commas', () => {
    expect(formatTable(['ISR'], [[[1, 2, 3]]]).split('\n')[1]).toBe('1,2,3')
  })

  it('prints only the header for no rows', () => {
    expect(formatTable(['A', 'B'], [])).toBe('A  B')
  })

  it('measures width in code points', () => {
    const lines = formatTable(['K', 'V'], [['é', 'x'], ['ab', 'y']]).split('\n')
    expect(lines[1]).toBe('é   x')
  })
})

describe('formatKeyValues', () => {
  it('aligns values after the longest key', () => {
    expect(formatKeyValues([['ClusterId', 'abc'], ['LeaderId', 1]])).toBe('ClusterId: abc\nLeaderId:  1')
  })
})
