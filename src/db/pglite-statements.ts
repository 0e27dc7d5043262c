import { type PGlite, parse, protocol, type Results } from '@electric-sql/pglite'

const { serialize } = protocol

/** Statements kept prepared at most; the least recently used one is closed beyond this. */
const LIMIT = 300

/** SQLSTATEs after which a prepared statement is re-prepared and run once more. */
const STALE_CODES = new Set([
  // invalid_sql_statement_name: gone from the session (a socket client reset it)
  '26000',
  // feature_not_supported: "cached plan must not change result type", after a table changed shape
  '0A000',
])

interface Prepared {
  name: string
  /** Parameter type OIDs, as the engine inferred them: each value is serialized for its type. */
  types: number[]
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/**
 * Named prepared statements on PGlite's one session. `pglite.query()` parses, analyses and plans every
 * statement anew, in six separate calls into the engine (parse, describe, bind, describe, execute,
 * sync); most of a short statement's time went there. A statement seen before runs here as one call
 * (bind, describe, execute, sync) of a statement parsed once: measured on the signup's insert, 2 to
 * 2.5× less CPU for one row, 1.3 to 2× for ten. The engine re-plans by itself when a table or the
 * search path changes; a statement that is gone or whose result changed shape is prepared again.
 *
 * The caller serialises calls (the adapter's session lock): the engine has one session.
 */
export class PreparedStatements {
  readonly #byText = new Map<string, Prepared>()
  /** Evicted statements, closed with the next preparation. */
  #toClose: string[] = []
  #counter = 0

  constructor(private readonly pglite: PGlite) {}

  /** Runs `sql` with `params` as a prepared statement: the results as `pglite.query` gives them. */
  async query<T>(sql: string, params: readonly unknown[], inTransaction: boolean): Promise<Results<T>> {
    const known = this.#byText.get(sql)
    if (known) {
      // Most recently used last: the first entry is the one to evict.
      this.#byText.delete(sql)
      this.#byText.set(sql, known)
    }
    const statement = known ?? (await this.#prepare(sql))
    try {
      return await this.#run<T>(statement, params)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (typeof code !== 'string' || !STALE_CODES.has(code)) throw error
      this.#byText.delete(sql)
      this.#toClose.push(statement.name)
      // Inside a transaction the failure has aborted it: the caller rolls back and may try again.
      if (!known || inTransaction) throw error
      return this.#run<T>(await this.#prepare(sql), params)
    }
  }

  /**
   * Forgets every statement (after statements that may change tables, such as migrations): the next
   * use prepares again. The old ones are closed then, with the first preparation.
   */
  forget(): void {
    for (const statement of this.#byText.values()) this.#toClose.push(statement.name)
    this.#byText.clear()
  }

  async #prepare(sql: string): Promise<Prepared> {
    while (this.#byText.size >= LIMIT) {
      const [oldest] = this.#byText
      if (!oldest) break
      this.#byText.delete(oldest[0])
      this.#toClose.push(oldest[1].name)
    }
    const closing = this.#toClose.splice(0)
    const name = `course_s${++this.#counter}`
    const messages = await this.#exchange(
      concat([
        ...closing.map((old) => serialize.close({ type: 'S', name: old })),
        serialize.parse({ name, text: sql }),
        serialize.describe({ type: 'S', name }),
        serialize.sync(),
      ]),
    )
    const statement = { name, types: parse.parseDescribeStatementResults(messages) }
    this.#byText.set(sql, statement)
    return statement
  }

  /**
   * One exchange with the engine. Through execProtocolStream, as pglite.query() does: it names where
   * the answer goes. execProtocol() would write it wherever the last exchange's answer went, and a
   * socket client's exchange (pglite-serve.ts) leaves its socket there: the answer went to that client.
   */
  #exchange(message: Uint8Array) {
    return this.pglite.execProtocolStream(message)
  }

  async #run<T>(statement: Prepared, params: readonly unknown[]): Promise<Results<T>> {
    const { serializers } = this.pglite
    // As pglite.query() does: each value through the serializer of its parameter's type, else as text.
    const values = params.map((value, index) => {
      if (value === null || value === undefined) return null
      const serializer = serializers[statement.types[index] ?? -1]
      return serializer ? serializer(value) : String(value)
    })
    const messages = await this.#exchange(
      concat([
        serialize.bind({ statement: statement.name, values }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
        serialize.sync(),
      ]),
    )
    return parse.parseResults(messages, this.pglite.parsers)[0] as Results<T>
  }
}
