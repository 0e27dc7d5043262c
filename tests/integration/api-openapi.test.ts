import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../../src/web/api'
import { createHarness, type Harness } from '../helpers/harness'

describe('the API described (OpenAPI 3.1)', () => {
  let h: Harness
  // biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
  let doc: any
  beforeAll(async () => {
    h = await createHarness({ engine: 'pglite' })
    const response = await h.services.web.request('/api/v1/openapi.json')
    expect(response.status).toBe(200)
    doc = await response.json()
  })
  afterAll(async () => {
    await h.close()
  })

  it('is a valid OpenAPI 3.1 document, public, with the bearer scheme', async () => {
    expect(doc.openapi).toBe('3.1.0')
    const result = await new Validator().validate(doc)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(doc.servers[0].url).toBe('https://course.example.org/api/v1')
  })

  it('holds every route the API answers, each with its scope and its problem answers', () => {
    const api = createApi(h.services.webDeps)
    const routes = api.routes
      .filter((r) => r.method !== 'ALL' && !['/openapi.json', '/docs'].includes(r.path))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
    expect(routes.length).toBeGreaterThanOrEqual(12)
    const described = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method} ${path}`),
    )
    expect([...described].sort()).toEqual([...new Set(routes)].sort())
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(
        item as Record<string, { security: unknown; responses: Record<string, unknown> }>,
      )) {
        expect(op.security, `${method} ${path}`).toBeDefined()
        expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '429']))
        if (method !== 'get')
          expect(op.security, `${method} ${path}`).toEqual([{ apiKey: ['subscribers:write'] }])
      }
    expect(doc.paths['/stats'].get.security).toEqual([{ apiKey: ['stats:read'] }])
  })

  it('has a readable reference page built from it, with no script and every operation', async () => {
    const response = await h.services.web.request('/api/v1/docs')
    expect(response.status).toBe(200)
    const page = await response.text()
    expect(page).not.toContain('<script')
    expect(page).toContain('id="problems"')
    for (const [path, item] of Object.entries(doc.paths))
      for (const method of Object.keys(item as object))
        expect(page, `${method} ${path}`).toContain(`${method.toUpperCase()} /api/v1${path}`)
    expect(page).toContain('needs scope <code>subscribers:write</code>')
  })
})
