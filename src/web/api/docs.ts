import { html, type SafeHtml } from '../html'
import { page } from '../layout'

/** The OpenAPI document as far as the reference page reads it. */
export interface Doc {
  info: { title: string; description?: string; version: string }
  paths?: Record<string, Record<string, Operation>>
}
interface Operation {
  summary?: string
  description?: string
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[]
  requestBody?: { content?: Record<string, { schema?: Schema }> }
  responses?: Record<string, { description?: string }>
  security?: Record<string, string[]>[]
}
interface Schema {
  $ref?: string
  type?: string | string[]
  description?: string
  enum?: unknown[]
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
}

const METHODS = ['get', 'post', 'patch', 'delete'] as const

/**
 * A readable reference built from the OpenAPI document itself (server-rendered, no script, no
 * third-party assets), so it can never disagree with what the API validates.
 */
export function referencePage(doc: Doc, siteName: string, intro: SafeHtml): string {
  const components = (doc as { components?: { schemas?: Record<string, Schema> } }).components?.schemas ?? {}
  const resolve = (s: Schema | undefined): Schema | undefined =>
    s?.$ref ? components[s.$ref.replace('#/components/schemas/', '')] : s
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m]! })),
  )
  const body = html`<h1>${doc.info.title}</h1>
${intro}
<h2>Operations</h2>
<ul>${operations.map((o) => html`<li><a href="#${anchor(o.method, o.path)}"><code>${o.method.toUpperCase()} ${o.path}</code></a> ${o.op.summary ?? ''}</li>`)}</ul>
${operations.map(({ path, method, op }) => {
  const schema = resolve(op.requestBody?.content?.['application/json']?.schema)
  return html`<section id="${anchor(method, path)}">
<h3><code>${method.toUpperCase()} /api/v1${path}</code></h3>
<p><strong>${op.summary ?? ''}</strong>${scopeOf(op)}</p>
${op.description ? html`<p>${prose(op.description)}</p>` : ''}
${
  op.parameters?.length
    ? html`<h4>Parameters</h4><ul>${op.parameters.map(
        (p) =>
          html`<li><code>${p.name}</code> (${p.in}${p.required ? ', required' : ''}) ${p.description ?? p.schema?.description ?? ''}</li>`,
      )}</ul>`
    : ''
}
${schema?.properties ? html`<h4>JSON body</h4>${fields(schema)}` : ''}
<h4>Answers</h4>
<ul>${Object.entries(op.responses ?? {}).map(([status, r]) => html`<li><code>${status}</code> ${r.description ?? ''}</li>`)}</ul>
</section>`
})}`
  return page({ title: 'API reference', siteName, body, wide: true })
}

function fields(schema: Schema): SafeHtml {
  const required = new Set(schema.required ?? [])
  return html`<ul>${Object.entries(schema.properties ?? {}).map(
    ([name, s]) =>
      html`<li><code>${name}</code> ${typeName(s)}${required.has(name) ? ', required' : ''}${s.description ? html`: ${prose(s.description)}` : ''}</li>`,
  )}</ul>`
}

function typeName(s: Schema): string {
  if (s.enum) return `one of ${s.enum.map(String).join(', ')}`
  const type = Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'value')
  return type === 'array' && s.items ? `array of ${typeName(s.items)}` : type
}

function anchor(method: string, path: string): string {
  return `${method}-${path.replace(/[^a-z0-9]+/gi, '-')}`.replace(/-+$/, '')
}

function scopeOf(op: Operation): SafeHtml | string {
  const scopes = op.security?.flatMap((s) => Object.values(s).flat()) ?? []
  if (op.security === undefined) return ''
  return scopes.length > 0 ? html` · needs scope <code>${scopes.join(', ')}</code>` : ' · any API key'
}

/** A description's `code` spans as code (the rest stays text, escaped). */
function prose(text: string): SafeHtml[] {
  return text.split('`').map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : html`${part}`))
}
