/**
 * How deeply a JSON text nests arrays and objects, read without parsing it (strings are skipped, so
 * brackets inside them do not count). Stops counting past `limit`. Deeply nested input is cheap to
 * send and expensive to handle: a recursive serialiser or PostgreSQL's jsonb overflow their stacks
 * on it, which would turn a bad request into a server error.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === 0x5c)
        i++ // backslash: skip the escaped character
      else if (char === 0x22) inString = false
    } else if (char === 0x22) inString = true
    else if (char === 0x5b || char === 0x7b) {
      if (++depth > limit) return true
    } else if (char === 0x5d || char === 0x7d) depth--
  }
  return false
}
