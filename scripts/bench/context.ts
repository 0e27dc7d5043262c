/** What every benchmark is told about the run. */
export interface BenchContext {
  /** `--quick`: smaller sizes and shorter runs, to keep the suite working in CI (under two minutes). */
  quick: boolean
  /** How many times each measurement is repeated; tables show the median (3 unless --runs says). */
  runs: number
  /** Null when PostgreSQL answers; otherwise why not (its rows then say "not measured"). */
  postgresProblem: string | null
  /** Progress on stderr, so stdout carries only the table. */
  log(message: string): void
}

export const PG_UNREACHABLE = 'PostgreSQL unreachable'
