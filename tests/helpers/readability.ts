/**
 * A small readability check for lesson text: the Flesch reading ease, as health publishers aim for
 * (60 or more reads as plain English).
 *
 *   Flesch reading ease = 206.835 − 1.015 × (words / sentences) − 84.6 × (syllables / words)
 *
 * Syllables are estimated, not looked up: vowel groups in the word, less a silent final "e", "es" or
 * "ed", one at least. Such counters are within a syllable on most English words, which moves the score
 * by a few points at most: good enough to catch a lesson that drifts into long words and sentences,
 * not to compare two texts a point apart.
 */

export interface Readability {
  words: number
  sentences: number
  syllables: number
  /** Flesch reading ease: higher is easier; 60 to 70 is plain English. */
  score: number
}

/** Markdown as the sentences a reader reads: link text kept, link targets and markup dropped. */
export function sentencesOf(markdown: string): string[] {
  const text = markdown
    .replace(/!\[[^\]]*]\([^)]*\)/g, ' ')
    .replace(/\[([^\]]*)]\([^)]*\)/g, '$1')
    .replace(/[*_`]/g, '')
  // A heading, a list item and a paragraph each end a sentence, with or without a full stop.
  const units: string[] = []
  for (const block of text.split(/\n\s*\n/)) {
    for (const line of block.split('\n')) {
      const item = /^\s*(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)/.exec(line)
      const content = line.slice(item?.[0].length ?? 0).trim()
      if (!content) continue
      if (item || units.length === 0 || /^#/.test(line)) units.push(content)
      else units[units.length - 1] += ` ${content}`
    }
    units.push('') // a paragraph's end: the next line starts a new unit
  }
  return units
    .filter((unit) => unit !== '')
    .flatMap((unit) => unit.split(/(?<=[.!?])["”’)]?\s+(?=["“‘(]?[A-Z0-9])/))
    .filter((sentence) => wordsOf(sentence).length > 0)
}

/** The words of a text: anything with a letter or digit in it ("touch-ups" is one word). */
export function wordsOf(text: string): string[] {
  return text.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word))
}

/** Estimated syllables of one word. */
export function countSyllables(word: string): number {
  const letters = word.toLowerCase().replace(/[^a-z]/g, '')
  if (letters === '') {
    // A number: about a syllable per digit ("18" is two, "2,500" a few).
    return Math.max(1, word.replace(/\D/g, '').length)
  }
  if (letters.length <= 3) return 1
  const trimmed = letters.replace(/(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$/, '').replace(/^y/, '')
  return Math.max(1, trimmed.match(/[aeiouy]{1,2}/g)?.length ?? 0)
}

/** The Flesch reading ease of a Markdown text (see the formula above). */
export function readability(markdown: string): Readability {
  const sentences = sentencesOf(markdown)
  const words = sentences.flatMap(wordsOf)
  const syllables = words.reduce((sum, word) => sum + countSyllables(word), 0)
  const score =
    words.length === 0
      ? 0
      : 206.835 - 1.015 * (words.length / sentences.length) - 84.6 * (syllables / words.length)
  return { words: words.length, sentences: sentences.length, syllables, score }
}
