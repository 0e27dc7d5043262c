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
 * Runs in the page (as source, so that no bundler helper leaks into the browser). Checks every text
 * node that is actually drawn: visible (not display:none, visibility:hidden or transparent, as the
 * hidden preheader is) and with a non-empty box; invisible padding characters are ignored.
 */
export const MEASURE_LAYOUT = `(() => {
  const minimum = 14
  const root = document.documentElement
  const width = root.clientWidth
  const describe = (el) => el.tagName.toLowerCase() + (el.getAttribute('class') ? '.' + el.getAttribute('class') : '')
  const smallText = []
  let textNodes = 0
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
    textNodes++
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
