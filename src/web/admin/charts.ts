import type { FunnelStep } from '../../stats/report'
import { percent } from '../../stats/tables'
import type { DayFigures } from '../../subscribers/store'
import { html, type SafeHtml } from '../html'

/**
 * Charts as plain server-rendered SVG: no scripts, no style attributes or elements (the page CSP has
 * `style-src 'self'`), only presentation attributes. Text uses `currentColor`, so it follows the page's
 * light or dark colours; the bar colours read on both. Every chart has role="img" with a title and a
 * description that says in words what it shows, and the same figures are in a table beside it.
 */

export const CHART_COLORS = { primary: '#3b82c4', secondary: '#2e9e5b', grid: '#8a939c' } as const

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif'

/** Coordinates with one decimal: enough for a crisp line, short in the markup. */
const n = (value: number) => String(Math.round(value * 10) / 10)

/** Cuts a label to `max` characters with an ellipsis (the full text stays in the bar's tooltip). */
export function shorten(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`
}

function frame(
  id: string,
  width: number,
  height: number,
  title: string,
  desc: string,
  body: SafeHtml[],
): SafeHtml {
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="${FONT}" font-size="13" fill="currentColor">
<title id="${id}-title">${title}</title>
<desc id="${id}-desc">${desc}</desc>
${body}
</svg>`
}

/** Horizontal bars, one per funnel step: label, bar (length ∝ people), count and share of the first step. */
export function funnelChart(
  steps: readonly FunnelStep[],
  id = 'funnel',
  title = 'Course funnel: people reaching each step',
): SafeHtml {
  const width = 720
  const labelWidth = 250
  const barMax = 340
  const row = 28
  const height = Math.max(1, steps.length) * row + 8
  const max = Math.max(0, ...steps.map((s) => s.people))
  const bars = steps.map((s, index) => {
    const y = 4 + index * row
    const length = max > 0 ? (s.people / max) * barMax : 0
    const share = percent(s.share)
    return html`<g>
<title>${s.step}: ${s.people} (${share})</title>
<text x="${labelWidth - 8}" y="${n(y + 18)}" text-anchor="end">${shorten(s.step, 34)}</text>
<rect x="${labelWidth}" y="${n(y + 4)}" width="${n(length)}" height="20" rx="2" fill="${CHART_COLORS.primary}"/>
<text x="${n(labelWidth + length + 6)}" y="${n(y + 18)}">${s.people} · ${share}</text>
</g>`
  })
  const desc =
    steps.length === 0
      ? 'No data yet.'
      : steps
          .map((s) => `${s.step}: ${s.people}`)
          .join('; ')
          .concat('.')
  return frame(id, width, height, title, desc, bars)
}

/** Grouped vertical bars per day: signups and confirmations, with a legend, the top value and dates. */
export function dailyChart(days: readonly DayFigures[], id = 'daily'): SafeHtml {
  const width = 720
  const height = 240
  const plot = { left: 40, right: width - 10, top: 30, bottom: height - 30 }
  const plotWidth = plot.right - plot.left
  const plotHeight = plot.bottom - plot.top
  const max = Math.max(0, ...days.flatMap((d) => [d.signups, d.confirmations]))
  // At least 1, so a chart of a quiet month does not divide by zero.
  const top = Math.max(1, max)
  const slot = plotWidth / Math.max(1, days.length)
  const bar = Math.max(0.5, (slot * 0.8) / 2)
  const y = (value: number) => plot.bottom - (value / top) * plotHeight
  const bars = days.map((d, index) => {
    const x = plot.left + index * slot + slot * 0.1
    return html`<g>
<title>${d.day}: ${d.signups} signups, ${d.confirmations} confirmations</title>
<rect x="${n(x)}" y="${n(y(d.signups))}" width="${n(bar)}" height="${n(plot.bottom - y(d.signups))}" fill="${CHART_COLORS.primary}"/>
<rect x="${n(x + bar)}" y="${n(y(d.confirmations))}" width="${n(bar)}" height="${n(plot.bottom - y(d.confirmations))}" fill="${CHART_COLORS.secondary}"/>
</g>`
  })
  const first = days[0]?.day ?? ''
  const last = days.at(-1)?.day ?? ''
  const axes = html`<line x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}" stroke="${CHART_COLORS.grid}"/>
<line x1="${plot.left}" y1="${plot.top}" x2="${plot.right}" y2="${plot.top}" stroke="${CHART_COLORS.grid}" stroke-dasharray="4 4"/>
<text x="${plot.left - 6}" y="${plot.top + 4}" text-anchor="end">${top}</text>
<text x="${plot.left - 6}" y="${plot.bottom + 4}" text-anchor="end">0</text>
<text x="${plot.left}" y="${height - 10}">${first}</text>
<text x="${plot.right}" y="${height - 10}" text-anchor="end">${last}</text>
<rect x="${plot.left}" y="6" width="12" height="12" fill="${CHART_COLORS.primary}"/>
<text x="${plot.left + 18}" y="16">signups</text>
<rect x="${plot.left + 90}" y="6" width="12" height="12" fill="${CHART_COLORS.secondary}"/>
<text x="${plot.left + 108}" y="16">confirmations</text>`
  const signups = days.reduce((sum, d) => sum + d.signups, 0)
  const confirmations = days.reduce((sum, d) => sum + d.confirmations, 0)
  const busiest = days.reduce<DayFigures | null>(
    (best, d) => (!best || d.signups > best.signups ? d : best),
    null,
  )
  const desc =
    days.length === 0
      ? 'No days to show.'
      : `From ${first} to ${last}: ${signups} signups and ${confirmations} confirmations` +
        (busiest && busiest.signups > 0 ? `; most signups on ${busiest.day} (${busiest.signups}).` : '.')
  return frame(id, width, height, 'Signups and confirmations per day', desc, [axes, ...bars])
}
