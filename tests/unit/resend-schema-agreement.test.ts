import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SchemaObject } from 'ajv'
import Ajv2020 from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { sendEmailRequestSchema } from '../helpers/resend-request-schema'

// Resend's official OpenAPI description is shared reference data, not part of the project: a clone has no
// ../shared, so the cross-check runs only where the file is (CI), and says so loudly where it is not.
const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const SPEC_PATH = path.resolve(repoRoot, '../shared/resend-openapi.yaml')
const ABSENT =
  '../shared/resend-openapi.yaml is absent: the cross-check of the fake Resend schemas against the ' +
  'official description did NOT run'

/**
 * SendEmailRequest properties the fake deliberately leaves out of its schema, each with the reason. Empty:
 * the fake declares every one. A property Resend adds must be declared in resend-request-schema.ts or be
 * listed here with why the fake does not support it.
 */
const NOT_SUPPORTED: Record<string, string> = {}

/** Keywords that describe a value without constraining it. */
const ANNOTATIONS = new Set(['description', 'example', 'examples', 'title'])

const address = (i: number) => `reader${i}@example.org`
const base = { from: 'Course <course@example.com>', to: 'reader@example.org', subject: 'Lesson 1' }

/** Requests both schemas must judge alike; `valid` is the verdict of SendEmailRequest alone. */
const SAMPLES: { name: string; body: unknown; valid: boolean }[] = [
  { name: 'a minimal email', body: { ...base, html: '<p>Hi</p>' }, valid: true },
  {
    // What src/mail/resend-mailer.ts sends for one batch item, after the SDK renamed replyTo.
    name: 'a batch member as this project sends it',
    body: {
      ...base,
      to: ['reader@example.org'],
      html: '<p>Hi</p>',
      text: 'Hi',
      reply_to: 'help@example.com',
      headers: {
        'List-Unsubscribe': '<https://course.example.com/u/abc>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
      tags: [
        { name: 'kind', value: 'lesson' },
        { name: 'lesson', value: 'lesson-1' },
        { name: 'subscriber', value: '7' },
        { name: 'delivery', value: '42' },
      ],
    },
    valid: true,
  },
  {
    name: 'every optional field',
    body: {
      ...base,
      cc: ['a@example.org'],
      bcc: 'b@example.org',
      template: { id: 'tpl_1', variables: { name: 'Ada', lesson: 1 } },
      attachments: [{ filename: 'notes.txt', content: 'aGk=', content_type: 'text/plain' }],
      scheduled_at: '2030-01-01T09:00:00Z',
      topic_id: 'topic_1',
    },
    valid: true,
  },
  { name: 'a missing subject', body: { from: base.from, to: base.to, html: 'x' }, valid: false },
  { name: '`to` as a number', body: { ...base, to: 42, html: 'x' }, valid: false },
  { name: 'an empty `to` array', body: { ...base, to: [], html: 'x' }, valid: false },
  {
    name: '51 recipients',
    body: { ...base, to: Array.from({ length: 51 }, (_, i) => address(i)), html: 'x' },
    valid: false,
  },
  { name: 'tags as one object', body: { ...base, tags: { name: 'kind', value: 'lesson' } }, valid: false },
  {
    name: 'a tag value that is a number',
    body: { ...base, tags: [{ name: 'kind', value: 1 }] },
    valid: false,
  },
  { name: 'a tag that is a string', body: { ...base, tags: ['kind:lesson'] }, valid: false },
  { name: 'headers as a string', body: { ...base, headers: 'X-Count: 3' }, valid: false },
  // Resend requires string header values only in prose: fake-resend.ts rejects this, the schemas do not.
  { name: 'a header with a number value', body: { ...base, headers: { 'X-Count': 3 } }, valid: true },
  { name: 'a template without an id', body: { ...base, template: { variables: {} } }, valid: false },
]

const official = existsSync(SPEC_PATH) ? await loadOfficialSchema(SPEC_PATH) : undefined

describe('the fake Resend request schema', () => {
  it.each(SAMPLES)('judges $name as SendEmailRequest does', ({ body, valid }) => {
    expect(verdict(sendEmailRequestSchema, body)).toBe(valid)
  })

  it('is checked against ../shared/resend-openapi.yaml, or says loudly that it was not', () => {
    if (official) return
    if (process.env.REQUIRE_RESEND_SPEC === '1') throw new Error(`${ABSENT} (REQUIRE_RESEND_SPEC=1)`)
    console.error(banner(ABSENT, 'Set REQUIRE_RESEND_SPEC=1 to make this a failure.'))
  })
})

// Registered only when the file is there: the test above reports its absence, and a skip would hide it.
if (official) {
  const ours = sendEmailRequestSchema
  describe('the fake Resend request schema agrees with the official SendEmailRequest', () => {
    it('declares the same properties, apart from the listed unsupported ones', () => {
      const officialNames = Object.keys(official.properties).filter((name) => !(name in NOT_SUPPORTED))
      expect(Object.keys(ours.properties).sort()).toEqual(officialNames.sort())
      expect(Object.keys(NOT_SUPPORTED).filter((name) => !(name in official.properties))).toEqual([])
    })

    it('requires the same properties', () => {
      expect([...ours.required].sort()).toEqual([...official.required].sort())
    })

    it('gives every property it declares the same types, item shapes and limits', () => {
      expect(propertyEssences(ours, Object.keys(ours.properties))).toEqual(
        propertyEssences(official, Object.keys(ours.properties)),
      )
    })

    it.each(SAMPLES)('gives $name the same verdict', ({ body }) => {
      expect(verdict(official, body)).toBe(verdict(sendEmailRequestSchema, body))
    })
  })
}

function banner(...lines: string[]): string {
  const rule = '!'.repeat(100)
  return ['', rule, ...lines.map((line) => `!!! ${line}`), rule, ''].join('\n')
}

function verdict(schema: SchemaObject, body: unknown): boolean {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  // OpenAPI's `format: binary` (attachment content) has no JSON Schema meaning; accept any string.
  ajv.addFormat('binary', true)
  return ajv.validate(schema, body)
}

// ---------------------------------------------------------------- the official schema

/** Reads SendEmailRequest from Resend's OpenAPI file as one standalone JSON Schema. */
async function loadOfficialSchema(file: string): Promise<SchemaObject> {
  const spec: unknown = parseYaml(await readFile(file, 'utf8'))
  const schemas = isRecord(spec) && isRecord(spec.components) ? spec.components.schemas : undefined
  if (!isRecord(schemas)) throw new Error(`${file}: no components.schemas`)
  return inlineComponentRefs(schemas, 'SendEmailRequest')
}

/**
 * Returns the named component with every `#/components/schemas/X` it reaches (transitively) moved into
 * `$defs`, so Ajv can resolve the refs inside one standalone schema (and cycles stay finite).
 */
function inlineComponentRefs(schemas: Record<string, unknown>, rootName: string): SchemaObject {
  const defs: Record<string, unknown> = {}
  const pending = [rootName]
  const seen = new Set(pending)
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite)
    if (!isRecord(node)) return node
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        const name = componentName(value)
        if (!seen.has(name)) {
          seen.add(name)
          pending.push(name)
        }
        out[key] = `#/$defs/${name}`
      } else {
        out[key] = rewrite(value)
      }
    }
    return out
  }
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    if (!isRecord(schemas[name])) throw new Error(`OpenAPI: components.schemas.${name} is missing`)
    defs[name] = rewrite(schemas[name])
  }
  const root = defs[rootName] as SchemaObject
  delete defs[rootName]
  return { ...root, $defs: defs }
}

function componentName(ref: string): string {
  const prefix = '#/components/schemas/'
  if (!ref.startsWith(prefix)) throw new Error(`OpenAPI: unsupported $ref ${ref}`)
  return ref.slice(prefix.length)
}

// ---------------------------------------------------------------- comparing schemas

/** Each named property's {@link essence}, so one diff shows every disagreement. */
function propertyEssences(schema: SchemaObject, names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, essence(schema.properties[name], schema.$defs)]))
}

/**
 * What a schema node constrains: `#/$defs/` refs replaced by their target, annotations and
 * `format: binary` (any string in JSON) dropped, and an allOf left with one member replaced by it (the
 * official `template` is `allOf: [$ref, {description}]`).
 */
function essence(node: unknown, defs: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((member) => essence(member, defs))
  if (!isRecord(node)) return node
  if (typeof node.$ref === 'string') return essence(defs[node.$ref.replace('#/$defs/', '')], defs)
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    if (ANNOTATIONS.has(key) || (key === 'format' && value === 'binary')) continue
    out[key] = essence(value, defs)
  }
  return unwrapAllOf(out)
}

function unwrapAllOf(node: Record<string, unknown>): unknown {
  const { allOf, ...rest } = node
  if (!Array.isArray(allOf)) return node
  const members = allOf.filter((member) => !isRecord(member) || Object.keys(member).length > 0)
  const [only] = members
  return members.length === 1 && Object.keys(rest).length === 0 ? only : { ...rest, allOf: members }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
