import type { FunnelStep } from '../../stats/report'
import { percent } from '../../stats/tables'
import type { DayFigures } from '../../subscribers/counts'
import { html, type SafeHtml } from '../html'

/**
 * Charts drawn on the server: SVG with no scripts, no style attributes or elements (the page CSP has
 * `style-src 'self'`), only presentation attributes; and funnels as HTML meters, whose labels stay
 * readable at any width. SVG text uses `currentColor`, so it follows the page's light or dark colours;
 * the bar colours read on both. Every SVG chart has role="img" with a title and a description that
 * says in words what it shows, and the same figures are one click away as a table.
 */

export const CHART_COLORS = {
  primary: '#3b82c4',
  secondary: '#2e9e5b',
  grid: '#8a939c',
  alarm: '#d14343',
} as const

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
  className = 'chart',
): SafeHtml {
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="${className}" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="${FONT}" font-size="13" fill="currentColor">
<title id="${id}-title">${title}</title>
<desc id="${id}-desc">${desc}</desc>
${body}
</svg>`
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

/**
 * A funnel as a list of HTML meters: each step's label, a bar (its people against the first step's)
 * and the count with its share. Text at the page's own size, so it reads at 375 px as at 1280.
 */
export function funnelList(steps: readonly FunnelStep[], label: string): SafeHtml {
  if (steps.length === 0) return html`<p class="muted">No figures yet.</p>`
  const max = Math.max(1, ...steps.map((s) => s.people))
  return html`<ol class="funnel" aria-label="${label}">${steps.map(
    (s) => html`<li><span class="step">${s.step}</span>
<meter min="0" max="${max}" value="${s.people}" aria-label="${s.step}: ${s.people} people (${percent(s.share)})"></meter>
<span class="num">${s.people.toLocaleString('en-US')} · ${percent(s.share)}</span></li>`,
  )}</ol>`
}

/**
 * One rate against the lines drawn for it (e.g. complaints against Gmail's 0.1 % aim and 0.3 %
 * limit): a bar from 0 to the rate, on a scale reaching past the highest line, each line marked and
 * named. Sized to be read at 375 px as drawn (360 units wide).
 */
export function rateChart(
  id: string,
  title: string,
  rate: number,
  lines: readonly { at: number; label: string }[],
): SafeHtml {
  const width = 360
  const left = 8
  const right = width - 8
  const top = Math.max(...lines.map((l) => l.at), rate) * 1.25 || 0.01
  const x = (value: number) => left + (Math.min(value, top) / top) * (right - left)
  const color = lines.some((l) => rate >= l.at) ? CHART_COLORS.alarm : CHART_COLORS.secondary
  const marks = lines.map(
    (
      l,
      i,
    ) => html`<line x1="${n(x(l.at))}" y1="18" x2="${n(x(l.at))}" y2="58" stroke="currentColor" stroke-dasharray="3 3"/>
<text x="${n(x(l.at))}" y="${i % 2 === 0 ? 12 : 72}" text-anchor="middle">${l.label}</text>`,
  )
  const shown = `${(Math.round(rate * 10000) / 100).toFixed(2)} %`
  const desc = `${shown}; ${lines.map((l) => `${l.label} at ${(l.at * 100).toFixed(1)} %`).join(', ')}${lines.some((l) => rate >= l.at) ? '; over a line' : '; under every line'}.`
  return frame(
    id,
    width,
    78,
    title,
    desc,
    [
      html`<rect x="${left}" y="26" width="${right - left}" height="24" rx="3" fill="none" stroke="${CHART_COLORS.grid}"/>
<rect x="${left}" y="26" width="${n(x(rate) - left)}" height="24" rx="3" fill="${color}"/>`,
      ...marks,
    ],
    'chart rate-chart',
  )
}
