import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { fillDays } from '../../src/stats/report'
import { CHART_COLORS, dailyChart, funnelList, rateChart, shorten } from '../../src/web/admin/charts'

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

describe('funnelList', () => {
  const list = funnelList(steps, 'A course: people reaching each step').toString()

  it('is a labelled list with one meter per step, against the first step', () => {
    expect(list).toContain('<ol class="funnel" aria-label="A course: people reaching each step">')
    const meters = [...list.matchAll(/<meter min="0" max="(\d+)" value="(\d+)" aria-label="([^"]*)"/g)]
    expect(meters.map((m) => [Number(m[1]), Number(m[2])])).toEqual([
      [200, 200],
      [200, 150],
      [200, 50],
      [200, 0],
    ])
    expect(meters[1]![3]).toBe('Confirmed: 150 people (75.0%)')
  })

  it('shows each count with its share as text, readable at any width', () => {
    expect(list).toContain('150 · 75.0%')
    expect(list).toContain('0 · 0.0%')
  })

  it('escapes labels: content text can never become markup', () => {
    expect(list).not.toContain('<script>')
    expect(list).toContain('&lt;script&gt;')
    expect(list).toContain('&amp; more')
  })

  it('draws an empty funnel without dividing by zero', () => {
    const empty = funnelList(
      [
        { course: 'c', step: 'Signed up', people: 0, share: 0 },
        { course: 'c', step: 'Confirmed', people: 0, share: 0 },
      ],
      'empty',
    ).toString()
    expect(empty).not.toContain('NaN')
    expect(empty).toContain('max="1" value="0"')
    expect(funnelList([], 'none').toString()).toContain('No figures yet.')
  })
})

describe('rateChart', () => {
  const lines = [
    { at: 0.001, label: '0.1 % aim' },
    { at: 0.003, label: '0.3 % limit' },
  ]

  it('is well-formed SVG that marks each line and says the rate in words', () => {
    const svg = rateChart('rate', 'Complaints', 0.0005, lines).toString()
    expect(XMLValidator.validate(svg)).toBe(true)
    const root = parser.parse(svg).svg
    expect(root.role).toBe('img')
    expect(root.desc['#text']).toBe('0.05 %; 0.1 % aim at 0.1 %, 0.3 % limit at 0.3 %; under every line.')
    expect(svg).toContain('>0.3 % limit</text>')
    expect(rects(svg, CHART_COLORS.secondary)).toHaveLength(1)
    expect(svg).not.toMatch(/\sstyle=|<style|<script|on\w+=/i)
  })

  it('turns the bar to the alarm colour at a line, and stays inside the frame past the scale', () => {
    const over = rateChart('rate', 'Complaints', 0.004, lines).toString()
    const bar = rects(over, CHART_COLORS.alarm)[0]!
    expect(bar.width).toBeGreaterThan(0)
    expect(bar.x + bar.width).toBeLessThanOrEqual(352)
    expect(over).toContain('over a line')
    expect(rateChart('rate', 'None yet', 0, lines).toString()).not.toContain('NaN')
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
