import type { Readable } from 'node:stream'
import { type CsvError, type Info, parse } from 'csv-parse'

/** One record of the file with the line it starts on, or the point where the file stops being CSV. */
export type CsvItem =
  | { kind: 'record'; line: number; fields: string[]; bytesRead: number }
  | { kind: 'broken'; line: number; message: string }

/**
 * A record longer than this is not a subscriber row but a quote that was never closed swallowing the
 * rest of the file: stopping there keeps memory flat whatever the file holds.
 */
export const MAX_RECORD_CHARS = 64 * 1024

const LINE_BREAK = /\r\n|\r|\n/g

function countLineBreaks(text: string): number {
  return text.match(LINE_BREAK)?.length ?? 0
}

function leadingLineBreaks(text: string): number {
  return countLineBreaks(/^(?:\r\n|\r|\n)*/.exec(text)?.[0] ?? '')
}

function describe(error: CsvError | undefined): string {
  switch (error?.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted value starts here and is never closed'
    case 'CSV_MAX_RECORD_SIZE':
      return `the record starting here is longer than ${MAX_RECORD_CHARS} characters (probably an unclosed quote)`
    default:
      return error?.message ?? 'the file cannot be read as CSV from here'
  }
}

interface ParsedRecord {
  record: string[]
  raw: string
  info: Info
}

/**
 * Streams a CSV file record by record, never holding more than one record (and the stream buffers)
 * in memory. Line numbers are counted here from each record's raw text because csv-parse 6.2 counts a
 * CRLF inside a quoted value as two lines. On broken syntax it yields one `broken` item and stops:
 * what follows an unclosed quote cannot be trusted to mean what the operator wrote.
 */
export async function* readCsvRecords(source: Readable): AsyncGenerator<CsvItem> {
  const parser = parse({
    bom: true,
    info: true,
    raw: true,
    relax_column_count: true,
    // A stray quote inside a value (O"Brien) is kept as written rather than failing the file.
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
    // Errors become items in the record stream, in order. An 'error' event would make the iterator
    // throw away records still buffered before it, and those rows must be imported.
    skip_records_with_error: true,
    on_skip: (error, raw) => {
      parser.push({ skipped: describe(error), raw: raw ?? '' })
      return undefined
    },
  })
  source.on('error', (error) => parser.destroy(error))
  source.pipe(parser)
  let nextLine = 1
  try {
    for await (const item of parser as AsyncIterable<ParsedRecord | { skipped: string; raw: string }>) {
      const line = nextLine + leadingLineBreaks(item.raw)
      if ('skipped' in item) {
        yield { kind: 'broken', line, message: item.skipped }
        return
      }
      nextLine += countLineBreaks(item.raw)
      yield { kind: 'record', line, fields: item.record, bytesRead: item.info.bytes }
    }
  } catch (error) {
    yield { kind: 'broken', line: nextLine, message: `could not read the file: ${(error as Error).message}` }
  } finally {
    source.unpipe(parser)
    parser.destroy()
    source.destroy()
  }
}
