// No vitest imports here: scripts/screenshots.ts uses the same phone settings.

/** A small phone, as mail apps and mobile browsers lay a message out on it. */
export const PHONE = {
  viewport: { width: 375, height: 740 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
} as const

/** The width of the desktop reading pane (and of the emails' card). */
export const DESKTOP = { viewport: { width: 600, height: 900 }, deviceScaleFactor: 1 } as const

/** What {@link MEASURE_LAYOUT} reports about the page it runs in. */
export interface LayoutReport {
  /** The width the page is laid out at (a phone without a viewport meta pretends to be 980 px). */
  layoutWidth: number
  scrollWidth: number
  clientWidth: number
  /** Elements whose right edge passes the viewport (what makes a reader scroll sideways). */
  overflowing: string[]
  /** Visible text drawn smaller than the minimum. */
  smallText: { text: string; fontSize: number; element: string }[]
  textNodes: number
}

/**
 * Page source of `drawnText()`: every text node that is actually drawn, as `{ text, el }`: visible (not
 * display:none, visibility:hidden or transparent, as the hidden preheader is) and with a non-empty box;
 * invisible padding characters are ignored.
 */
const DRAWN_TEXT = `const drawnText = () => {
  const found = []
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = (node.textContent || '').replace(/[\\s\\u00a0\\u034f\\u200b-\\u200d\\u2060\\ufeff]/g, '')
    if (!text) continue
    const el = node.parentElement
    if (!el || !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue
    const range = document.createRange()
    range.selectNodeContents(node)
    const box = range.getBoundingClientRect()
    if (box.width === 0 || box.height === 0) continue
    found.push({ text, el })
  }
  return found
}`

/**
 * Runs in the page (as source, so that no bundler helper leaks into the browser). Checks the size of
 * every drawn text and that nothing passes the right edge.
 */
export const MEASURE_LAYOUT = `(() => {
  ${DRAWN_TEXT}
  const minimum = 14
  const root = document.documentElement
  const width = root.clientWidth
  const describe = (el) => el.tagName.toLowerCase() + (el.getAttribute('class') ? '.' + el.getAttribute('class') : '')
  const smallText = []
  const drawn = drawnText()
  const textNodes = drawn.length
  for (const { text, el } of drawn) {
    const fontSize = parseFloat(getComputedStyle(el).fontSize)
    if (fontSize < minimum) smallText.push({ text: text.slice(0, 60), fontSize, element: describe(el) })
  }
  const overflowing = []
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect()
    if (box.width > 0 && box.right > width + 0.5) overflowing.push(describe(el) + ' right=' + Math.round(box.right))
  }
  return { layoutWidth: window.innerWidth, scrollWidth: root.scrollWidth, clientWidth: width, overflowing: overflowing.slice(0, 10), smallText, textNodes }
})()`

/** What {@link MEASURE_CONTRAST} reports: text whose contrast falls short, as drawn and darkened. */
export interface ContrastReport {
  textNodes: number
  /** Text under WCAG AA (4.5:1, or 3:1 for large text) as the email is drawn. */
  light: ContrastFinding[]
  /** The same after a mail app's dark mode inverts the lightness of every colour (Gmail and Outlook apps). */
  inverted: ContrastFinding[]
}

export interface ContrastFinding {
  text: string
  color: string
  background: string
  ratio: number
  needed: number
}

/**
 * Runs in the page. For every drawn text node: its colour and the first opaque background colour
 * behind it (walking up to the body; white when nothing sets one, as an inbox shows it), the WCAG
 * contrast ratio of the two, and the same ratio after inverting each colour's HSL lightness (hue and
 * saturation kept), which is how apps that darken emails without dark styles treat them.
 */
export const MEASURE_CONTRAST = `(() => {
  ${DRAWN_TEXT}
  const parse = (css) => {
    const m = css.match(/rgba?\\(([^)]+)\\)/)
    if (!m) return null
    const [r, g, b, a] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number)
    return { r, g, b, a: a === undefined ? 1 : a }
  }
  const luminance = ({ r, g, b }) => {
    const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4) }
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
  }
  const ratio = (x, y) => {
    const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p)
    return (hi + 0.05) / (lo + 0.05)
  }
  const invert = ({ r, g, b }) => {
    r /= 255; g /= 255; b /= 255
    const max = Math.max(r, g, b), min = Math.min(r, g, b)
    let h = 0, s = 0
    const l = (max + min) / 2
    if (max !== min) {
      const d = max - min
      s = l > 0.5 ? d / (2 - max - min) : d / (max + min)
      h = max === r ? (g - b) / d + (g < b ? 6 : 0) : max === g ? (b - r) / d + 2 : (r - g) / d + 4
      h /= 6
    }
    const l2 = 1 - l
    const q = l2 < 0.5 ? l2 * (1 + s) : l2 + s - l2 * s
    const p = 2 * l2 - q
    const channel = (t) => {
      if (t < 0) t += 1
      if (t > 1) t -= 1
      if (t < 1 / 6) return p + (q - p) * 6 * t
      if (t < 1 / 2) return q
      if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6
      return p
    }
    return s === 0
      ? { r: l2 * 255, g: l2 * 255, b: l2 * 255 }
      : { r: channel(h + 1 / 3) * 255, g: channel(h) * 255, b: channel(h - 1 / 3) * 255 }
  }
  const backgroundOf = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor)
      if (bg && bg.a === 1) return bg
    }
    return { r: 255, g: 255, b: 255, a: 1 }
  }
  const show = ({ r, g, b }) => 'rgb(' + [r, g, b].map(Math.round).join(', ') + ')'
  const light = []
  const inverted = []
  const drawn = drawnText()
  const textNodes = drawn.length
  for (const { text, el } of drawn) {
    const style = getComputedStyle(el)
    const color = parse(style.color)
    const background = backgroundOf(el)
    const size = parseFloat(style.fontSize)
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700)
    const needed = large ? 3 : 4.5
    const check = (list, c, bg) => {
      const r = ratio(c, bg)
      if (r < needed) list.push({ text: text.slice(0, 40), color: show(c), background: show(bg), ratio: Math.round(r * 100) / 100, needed })
    }
    check(light, color, background)
    check(inverted, invert(color), invert(background))
  }
  return { textNodes, light: light.slice(0, 10), inverted: inverted.slice(0, 10) }
})()`
