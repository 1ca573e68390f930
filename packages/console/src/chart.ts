/**
 * A small SVG line chart (no library: a few polylines are all the console
 * draws). Series are points over time; the y axis starts at 0 and ends at the
 * largest value shown. The chart has a text alternative naming the latest
 * values, so it is not an image only some can read.
 */
import { h } from './dom.js'

export interface Series { label: string; points: Array<[number, number]>; color?: string }

const PALETTE = ['#1d4ed8', '#b91c1c', '#166534', '#7c3aed', '#b45309', '#0e7490']
const WIDTH = 300
const HEIGHT = 80

export function lineChart(title: string, series: Series[], unit = ''): HTMLElement {
  const all = series.flatMap((s) => s.points)
  const xs = all.map((p) => p[0])
  const x0 = Math.min(...xs)
  const x1 = Math.max(...xs)
  const yMax = Math.max(1, ...all.map((p) => p[1]))
  const sx = (x: number): number => (x1 === x0 ? WIDTH : ((x - x0) / (x1 - x0)) * WIDTH)
  const sy = (y: number): number => HEIGHT - 2 - (y / yMax) * (HEIGHT - 4)
  const ns = 'http://www.w3.org/2000/svg'
  const svg = document.createElementNS(ns, 'svg')
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`)
  svg.setAttribute('preserveAspectRatio', 'none')
  svg.setAttribute('aria-hidden', 'true')
  series.forEach((s, i) => {
    if (s.points.length === 0) return
    const line = document.createElementNS(ns, 'polyline')
    line.setAttribute('points', s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' '))
    line.setAttribute('fill', 'none')
    line.setAttribute('stroke', s.color ?? PALETTE[i % PALETTE.length])
    line.setAttribute('stroke-width', '2')
    line.setAttribute('vector-effect', 'non-scaling-stroke')
    svg.appendChild(line)
    // The newest point as a dot: a series of one point has no line yet, and the eye finds "now" at once.
    const [lx, ly] = s.points[s.points.length - 1]
    const dot = document.createElementNS(ns, 'circle')
    dot.setAttribute('cx', sx(lx).toFixed(1))
    dot.setAttribute('cy', sy(ly).toFixed(1))
    dot.setAttribute('r', '3')
    dot.setAttribute('fill', s.color ?? PALETTE[i % PALETTE.length])
    svg.appendChild(dot)
  })
  const latest = series.map((s) => `${s.label}: ${fmt(s.points.at(-1)?.[1])}${unit}`).join(', ')
  return h('figure', { class: 'chart' },
    h('figcaption', { class: 'title' }, h('span', {}, title), h('span', {}, `max ${fmt(yMax)}${unit}`)),
    svg,
    h('div', { class: 'muted small' }, latest || 'no data yet'),
  )
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '–'
  return v >= 100 ? Math.round(v).toString() : v.toFixed(1)
}

/** A bounded history of samples per key: what a chart over time keeps. */
export class History {
  private readonly byKey = new Map<string, Array<[number, number]>>()
  constructor(private readonly samplesMax = 60) {}

  add(key: string, t: number, v: number): void {
    const s = this.byKey.get(key) ?? []
    s.push([t, v])
    if (s.length > this.samplesMax) s.shift()
    this.byKey.set(key, s)
  }

  series(): Series[] {
    return [...this.byKey].map(([label, points]) => ({ label, points }))
  }
}
