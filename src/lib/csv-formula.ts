/** Leading characters that make a spreadsheet treat a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * Text a spreadsheet would run as a formula (`=HYPERLINK(…)` typed into the public signup form as a
 * name, say) gets a leading `'`, as OWASP advises for CSV files. Used by every CSV the project writes.
 */
export function neutralizeFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value
}

/** Undoes {@link neutralizeFormula} when reading a CSV back, so an export survives a round trip. */
export function restoreFormula(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value
}
