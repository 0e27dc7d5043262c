import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { type CsvItem, MAX_RECORD_CHARS, readCsvRecords } from '../../src/subscribers/import-csv'

/** Feeds the text in small pieces, as a file stream would in larger ones. */
async function read(text: string | Buffer, pieceSize = 7): Promise<CsvItem[]> {
  const buffer = Buffer.isBuffer(text) ? text : Buffer.from(text)
  const pieces: Buffer[] = []
  for (let i = 0; i < buffer.length; i += pieceSize) pieces.push(buffer.subarray(i, i + pieceSize))
  const items: CsvItem[] = []
  for await (const item of readCsvRecords(Readable.from(pieces))) items.push(item)
  return items
}

const lines = (items: CsvItem[]) =>
  items.map((item) => (item.kind === 'record' ? `${item.line}:${item.fields[0]}` : `${item.line}!`))

describe('readCsvRecords', () => {
  it('gives the line each record starts on, with blank lines and quoted line breaks, LF and CRLF alike', async () => {
    const text = 'email,name\na@x.org,"two\nlines"\n\nb@x.org,Bo\n"c@x.org",Cy\n'
    expect(lines(await read(text))).toEqual(['1:email', '2:a@x.org', '5:b@x.org', '6:c@x.org'])
    // csv-parse itself counts a CRLF inside quotes twice; the reader must not.
    expect(lines(await read(text.replaceAll('\n', '\r\n')))).toEqual([
      '1:email',
      '2:a@x.org',
      '5:b@x.org',
      '6:c@x.org',
    ])
  })

  it('strips a byte order mark and keeps stray quotes inside values as written', async () => {
    const items = await read(`\uFEFFemail,name\no@x.org,O"Brien\n`)
    expect(items.map((i) => i.kind === 'record' && i.fields)).toEqual([
      ['email', 'name'],
      ['o@x.org', 'O"Brien'],
    ])
  })

  it('yields the records before an unclosed quote, then where it starts, and stops', async () => {
    const items = await read('email,name\na@x.org,Al\nb@x.org,"Bo\nc@x.org,Cy\n')
    expect(lines(items)).toEqual(['1:email', '2:a@x.org', '3!'])
    const broken = items.at(-1)
    expect(broken?.kind === 'broken' && broken.message).toBe('a quoted value starts here and is never closed')
  })

  it('stops at a record too long to be a row instead of buffering the rest of the file', async () => {
    const items = await read(`email,name\na@x.org,"${'x'.repeat(MAX_RECORD_CHARS + 10)}\n`, 4096)
    expect(lines(items)).toEqual(['1:email', '2!'])
    const broken = items.at(-1)
    expect(broken?.kind === 'broken' && broken.message).toContain('longer than 65536 characters')
  })

  it('reports the bytes read so far, for the progress estimate', async () => {
    const items = await read('email\na@x.org\n')
    expect(items.map((i) => i.kind === 'record' && i.bytesRead)).toEqual([6, 14])
  })
})
