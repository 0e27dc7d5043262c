import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { fillDays } from '../../src/stats/report'
import { CHART_COLORS, dailyChart, funnelChart, shorten } from '../../src/web/admin/charts'

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' })

/** Every <rect> of a chart with the given fill, as numbers. */
function rects(svg: string, fill: string): { width: number; height: number; x: number; y: number }[] {
  return [...svg.matchAll(/<rect ([^>]*)\/>/g)]
    .map((m) => Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])))
    .filter((a) => a.fill === fill)
    .map((a) => ({ width: Number(a.width), height: Number(a.height), x: Number(a.x), y: Number(a.y) }))
}

const steps = [
  { course: 'c', step: 'Signed up', people: 200, share: 1 },
  { course: 'c', step: 'Confirmed', people: 150, share: 0.75 },
  { course: 'c', step: 'Day 0: <script>alert("x")</script> & more', people: 50, share: 0.25 },
  { course: 'c', step: 'Completed the course', people: 0, share: 0 },
]

describe('funnelChart', () => {
  const svg = funnelChart(steps).toString()

  it('is well-formed SVG with an accessible name and description', () => {
    expect(XMLValidator.validate(svg)).toBe(true)
    const root = parser.parse(svg).svg
    expect(root.role).toBe('img')
    expect(root['aria-labelledby']).toBe('funnel-title funnel-desc')
    expect(root.title['#text']).toBe('Course funnel: people reaching each step')
    expect(root.desc['#text']).toContain('Signed up: 200; Confirmed: 150;')
  })

  it('draws bars in proportion to the people at each step', () => {
    const bars = rects(svg, CHART_COLORS.primary)
    expect(bars.map((b) => b.width)).toEqual([340, 255, 85, 0])
  })

  it('labels each bar with its count and share', () => {
    expect(svg).toContain('150 · 75.0%')
    expect(svg).toContain('0 · 0.0%')
  })

  it('escapes labels: content text can never become markup', () => {
    expect(svg).not.toContain('<script>')
    expect(svg).toContain('&lt;script&gt;')
    expect(svg).toContain('&amp; more')
  })

  it('uses presentation attributes only (the CSP blocks style attributes and elements)', () => {
    expect(svg).not.toMatch(/\sstyle=|<style|<script|on\w+=/i)
  })

  it('draws an empty funnel without dividing by zero', () => {
    const empty = funnelChart([
      { course: 'c', step: 'Signed up', people: 0, share: 0 },
      { course: 'c', step: 'Confirmed', people: 0, share: 0 },
    ]).toString()
    expect(XMLValidator.validate(empty)).toBe(true)
    expect(empty).not.toContain('NaN')
    expect(rects(empty, CHART_COLORS.primary).map((b) => b.width)).toEqual([0, 0])
    expect(funnelChart([]).toString()).toContain('No data yet.')
  })
})

describe('dailyChart', () => {
  const days = fillDays(
    [
      { day: '2027-01-02', signups: 4, confirmations: 2 },
      { day: '2027-01-04', signups: 1, confirmations: 4 },
    ],
    '2027-01-04',
    4,
  )
  const svg = dailyChart(days).toString()

  it('fills the days without figures with zeros', () => {
    expect(days.map((d) => d.day)).toEqual(['2027-01-01', '2027-01-02', '2027-01-03', '2027-01-04'])
    expect(days[0]).toEqual({ day: '2027-01-01', signups: 0, confirmations: 0 })
  })

  it('is well-formed SVG with a description in words', () => {
    expect(XMLValidator.validate(svg)).toBe(true)
    const root = parser.parse(svg).svg
    expect(root.role).toBe('img')
    expect(root.desc['#text']).toBe(
      'From 2027-01-01 to 2027-01-04: 5 signups and 6 confirmations; most signups on 2027-01-02 (4).',
    )
  })

  it('scales both series to the largest value, from a common baseline', () => {
    const signups = rects(svg, CHART_COLORS.primary).slice(1) // the first is the legend swatch
    const confirmations = rects(svg, CHART_COLORS.secondary).slice(1)
    expect(signups.map((b) => b.height)).toEqual([0, 180, 0, 45])
    expect(confirmations.map((b) => b.height)).toEqual([0, 90, 0, 180])
    for (const bar of [...signups, ...confirmations]) expect(bar.y + bar.height).toBe(210)
    expect(svg).toContain('>4</text>') // the top of the scale
  })

  it('draws a quiet period without dividing by zero', () => {
    const quiet = dailyChart(fillDays([], '2027-01-04', 30)).toString()
    expect(XMLValidator.validate(quiet)).toBe(true)
    expect(quiet).not.toContain('NaN')
    expect(quiet).toContain('0 signups and 0 confirmations.')
  })

  it('uses presentation attributes only', () => {
    expect(svg).not.toMatch(/\sstyle=|<style|<script|on\w+=/i)
  })
})

describe('shorten', () => {
  it('keeps short labels and cuts long ones with an ellipsis', () => {
    expect(shorten('Aftercare', 10)).toBe('Aftercare')
    expect(shorten('Aftercare: the first weeks', 10)).toBe('Aftercare…')
    expect(shorten('Aftercare: the first weeks', 10)).toHaveLength(10)
  })
})
