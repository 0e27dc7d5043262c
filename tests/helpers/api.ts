import { createKey, SCOPES, type Scope } from '../../src/access/keys'
import type { Harness } from './harness'

/** A key with these scopes (all by default), made as `course keys create` makes one. */
export async function apiKey(h: Harness, scopes: readonly Scope[] = SCOPES, name = 'test') {
  return (await createKey(h.db, { name, scopes }, h.clock.now())).key
}

/** Calls the API through the app (no port) with a key and, for a body, JSON. */
export async function api(
  h: Harness,
  key: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await h.services.web.request(`/api/v1${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  })
  const text = await response.text()
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field in the tests
  let json: any = null
  try {
    json = text === '' ? null : JSON.parse(text)
  } catch {}
  return { status: response.status, headers: response.headers, json, text }
}
