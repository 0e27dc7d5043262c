import { escapeHtml } from '../content/personalize'

/** Markup that is already safe (built by `html` or deliberately trusted). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

/** Marks trusted markup (never user input) as safe to insert as is. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup)
}

function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

/**
 * HTML template literal: every interpolated value is escaped unless it is SafeHtml (or an array of
 * them), so user input can only ever arrive as text.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? ''
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '')
  })
  return new SafeHtml(out)
}
