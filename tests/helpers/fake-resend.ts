import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ErrorObject, ValidateFunction } from 'ajv'
import Ajv2020 from 'ajv/dist/2020.js'
import { sendEmailRequestSchema } from './resend-request-schema'

/** A misbehaviour the fake plays instead of (or around) its normal answer. */
export type Fault =
  /** Answer with this HTTP status and a Resend-style JSON error; nothing is sent. */
  | { type: 'status'; status: number; name?: string; message?: string }
  /** Wait, then handle the request normally. */
  | { type: 'delay'; ms: number }
  /** Destroy the socket without answering; nothing is sent. */
  | { type: 'drop' }
  /** Process the request fully (record, store the idempotent answer), then destroy the socket unanswered. */
  | { type: 'crash-after-accept' }

/** A queued fault: applies to the next `times` (default 1) requests, optionally only on one path. */
export interface FaultRule {
  fault: Fault
  times?: number
  path?: '/emails' | '/emails/batch'
}

/** One email the fake accepted, in the shape tests assert on (camelCase, lists normalised). */
export interface SentEmail {
  id: string
  from: string
  to: string[]
  subject: string
  html?: string
  text?: string
  headers: Record<string, string>
  tags: { name: string; value: string }[]
  replyTo?: string[]
  idempotencyKey?: string
  path: '/emails' | '/emails/batch'
  /** Position in the batch request body; only for `/emails/batch`. */
  batchIndex?: number
  receivedAt: number
}

/** One HTTP request as the fake saw it, whatever its outcome. */
export interface RecordedRequest {
  method: string
  path: string
  status: number | 'dropped'
  idempotencyKey?: string
  /** Email objects in the request body (0 when the body is not JSON). */
  emailCount: number
  at: number
}

/** Settings for {@link startFakeResend}; each can be changed later through the returned handle. */
export interface FakeResendOptions {
  /** Requests per sliding second across both endpoints; null or absent: unlimited. */
  rateLimitPerSecond?: number | null
  /** When set, any other bearer key gets 403 `invalid_api_key`. */
  apiKey?: string
  /** A fault played with this probability on requests that no queued rule matched. */
  randomFault?: { probability: number; fault: Fault } | null
  /** Source of randomness for `randomFault`, for reproducible runs. Defaults to Math.random. */
  random?: () => number
  /**
   * The clock of the rate-limit window, in milliseconds (monotonic). Defaults to performance.now; a
   * test that checks the window passes its own, so it moves time instead of waiting for it.
   */
  now?: () => number
}

/** A running fake Resend API and the controls tests use on it. */
export interface FakeResend {
  /** Base URL to pass as `new Resend(key, { baseUrl })`. */
  url: string
  sent: SentEmail[]
  requests: RecordedRequest[]
  /** Queues a fault; queued rules are consumed in order by the next matching requests. */
  inject(rule: FaultRule | Fault): void
  setRateLimit(perSecond: number | null): void
  setQuota(exceeded: 'daily' | 'monthly' | null): void
  setRandomFault(spec: { probability: number; fault: Fault } | null): void
  /** How many 429 answers were given (rate limit, quota or injected). */
  count429(): number
  /** Requests with an idempotency key being processed right now (e.g. held by a delay fault). */
  inFlightCount(): number
  /** Accepted emails whose `to` contains this address (display names and case ignored). */
  sentTo(address: string): SentEmail[]
  /**
   * Clears sent, requests, queued faults, the idempotency cache, the 429 count and the rate window,
   * and restores the settings given at start (rate limit, random fault, no quota).
   */
  reset(): void
  close(): Promise<void>
}

type EmailPath = '/emails' | '/emails/batch'

/** What SendEmailRequest guarantees once the schema and our extra checks passed. */
interface EmailRequest {
  from: string
  to: string | string[]
  subject: string
  html?: string
  text?: string
  template?: { id: string }
  headers?: Record<string, string>
  tags?: { name: string; value: string }[]
  reply_to?: string | string[]
  cc?: string | string[]
  bcc?: string | string[]
  attachments?: unknown[]
  scheduled_at?: string
  topic_id?: string
}

type Answer = { kind: 'answer'; status: number; json: string; headers?: Record<string, string> }
type Outcome = Answer | { kind: 'drop' }
type ParsedBody = { ok: true; value: unknown } | { ok: false }

interface RequestContext {
  method: string
  path: string
  raw: Buffer
  parsed: ParsedBody
  idempotencyKey: string | undefined
  batchValidation: string
}

interface StoredAnswer {
  path: string
  bodyHash: string
  answer: Answer
}

const MAX_RECIPIENTS = 50
const ADDRESS_FIELDS = ['from', 'to', 'cc', 'bcc', 'reply_to'] as const
const MAX_BATCH = 100
const MAX_IDEMPOTENCY_KEY = 256
const TAG_PATTERN = /^[A-Za-z0-9_-]{1,256}$/
const BARE_ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/
const NAMED_ADDRESS = /^[^<>]*<([^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)>$/
const DROP: Outcome = { kind: 'drop' }

let emailValidator: ValidateFunction<EmailRequest> | undefined

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export async function startFakeResend(options: FakeResendOptions = {}): Promise<FakeResend> {
  // Compiled once per process: benchmarks start many servers and send hundreds of emails a second.
  emailValidator ??= compileEmailValidator()
  const state = createState(options, emailValidator)
  const server = createServer((req, res) => {
    handleRequest(state, req, res).catch((error: unknown) => {
      // A bug in the fake must not look like a network fault to the code under test.
      sendAnswer(res, jsonAnswer(500, errorBody(500, 'internal_server_error', String(error))))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    // reset() truncates these arrays in place, so handing out the live arrays is safe.
    sent: state.sent,
    requests: state.requests,
    inject: (rule) => state.rules.push(toRule(rule)),
    setRateLimit: (perSecond) => {
      state.rateLimit = perSecond
    },
    setQuota: (exceeded) => {
      state.quota = exceeded
    },
    setRandomFault: (spec) => {
      state.randomFault = spec
    },
    count429: () => state.count429,
    inFlightCount: () => state.inFlight.size,
    sentTo: (address) => state.sent.filter((email) => email.to.some((to) => sameAddress(to, address))),
    reset: () => resetState(state, options),
    close: () => closeServer(server),
  }
}

// ---------------------------------------------------------------- schema

/** Compiles our copy of SendEmailRequest (see resend-request-schema.ts) with the JSON Schema 2020-12 dialect. */
function compileEmailValidator(): ValidateFunction<EmailRequest> {
  const ajv = new Ajv2020({ allErrors: true })
  return ajv.compile<EmailRequest>(sendEmailRequestSchema)
}

// ---------------------------------------------------------------- state

/** A FaultRule with its remaining uses made explicit. */
interface QueuedRule {
  fault: Fault
  times: number
  path?: EmailPath
}

interface FakeState {
  validate: ValidateFunction<EmailRequest>
  apiKey: string | undefined
  random: () => number
  now: () => number
  sent: SentEmail[]
  requests: RecordedRequest[]
  rules: QueuedRule[]
  randomFault: { probability: number; fault: Fault } | null
  rateLimit: number | null
  /** Admission times (state.now()) of requests inside the current one-second window, oldest first. */
  window: number[]
  quota: 'daily' | 'monthly' | null
  count429: number
  idempotency: Map<string, StoredAnswer>
  /** Keys whose request is being processed; survives reset() because those requests are still open. */
  inFlight: Set<string>
}

function createState(options: FakeResendOptions, validate: ValidateFunction<EmailRequest>): FakeState {
  return {
    validate,
    apiKey: options.apiKey,
    random: options.random ?? Math.random,
    now: options.now ?? (() => performance.now()),
    sent: [],
    requests: [],
    rules: [],
    randomFault: options.randomFault ?? null,
    rateLimit: options.rateLimitPerSecond ?? null,
    window: [],
    quota: null,
    count429: 0,
    idempotency: new Map(),
    inFlight: new Set(),
  }
}

function resetState(state: FakeState, options: FakeResendOptions): void {
  // Truncate in place so arrays a test grabbed from `fake.sent` earlier stay live.
  state.sent.length = 0
  state.requests.length = 0
  state.rules.length = 0
  state.window.length = 0
  state.idempotency.clear()
  state.count429 = 0
  state.quota = null
  state.rateLimit = options.rateLimitPerSecond ?? null
  state.randomFault = options.randomFault ?? null
}

function toRule(rule: FaultRule | Fault): QueuedRule {
  if ('fault' in rule) return { fault: rule.fault, times: rule.times ?? 1, path: rule.path }
  return { fault: rule, times: 1 }
}

/** Queued rules first (in order, consuming one use), then the random fault. */
function takeFault(state: FakeState, path: string): Fault | undefined {
  const index = state.rules.findIndex((rule) => rule.path === undefined || rule.path === path)
  const rule = state.rules[index]
  if (rule) {
    rule.times -= 1
    if (rule.times <= 0) state.rules.splice(index, 1)
    return rule.fault
  }
  const spec = state.randomFault
  if (spec && state.random() < spec.probability) return spec.fault
  return undefined
}

// ---------------------------------------------------------------- rate limit

/** Admits the request into the sliding window, or says it is over the limit. */
function admitToWindow(state: FakeState, now: number): boolean {
  if (state.rateLimit === null) return true
  dropExpired(state.window, now)
  if (state.window.length >= state.rateLimit) return false
  state.window.push(now)
  return true
}

function dropExpired(window: number[], now: number): void {
  let expired = 0
  while (expired < window.length && (window[expired] ?? 0) <= now - 1000) expired += 1
  if (expired > 0) window.splice(0, expired)
}

/** Resend sends these on every answer; reset is the seconds until the window frees a slot. */
function rateLimitHeaders(state: FakeState, now: number): Record<string, string> {
  if (state.rateLimit === null) return {}
  dropExpired(state.window, now)
  const oldest = state.window[0]
  const reset = oldest === undefined ? 1 : Math.max(1, Math.ceil((oldest + 1000 - now) / 1000))
  return {
    'ratelimit-limit': String(state.rateLimit),
    'ratelimit-remaining': String(Math.max(0, state.rateLimit - state.window.length)),
    'ratelimit-reset': String(reset),
  }
}

// ---------------------------------------------------------------- request flow

async function handleRequest(state: FakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req)
  const ctx = buildContext(req, raw)
  const outcome = await decide(state, ctx, req.headers.authorization)
  const status = outcome.kind === 'drop' ? 'dropped' : outcome.status
  state.requests.push({
    method: ctx.method,
    path: ctx.path,
    status,
    ...(ctx.idempotencyKey === undefined ? {} : { idempotencyKey: ctx.idempotencyKey }),
    emailCount: countEmails(ctx.parsed),
    at: Date.now(),
  })
  if (outcome.kind === 'drop') {
    req.socket.destroy()
    return
  }
  if (outcome.status === 429) state.count429 += 1
  sendAnswer(res, outcome, rateLimitHeaders(state, state.now()))
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function buildContext(req: IncomingMessage, raw: Buffer): RequestContext {
  const key = headerValue(req.headers['idempotency-key'])
  return {
    method: req.method ?? 'GET',
    path: new URL(req.url ?? '/', 'http://fake').pathname,
    raw,
    parsed: parseJson(raw),
    // The SDK never sends an empty key; treat an empty header as no key rather than as a 256-char error.
    idempotencyKey: key === '' ? undefined : key,
    batchValidation: headerValue(req.headers['x-batch-validation']) ?? 'strict',
  }
}

/**
 * Route, auth, rate limit, faults, then the send itself. The spec documents no order; this one lets tests
 * inject a fault into any authenticated, admitted request before validation or idempotency see it.
 */
async function decide(
  state: FakeState,
  ctx: RequestContext,
  authorization: string | undefined,
): Promise<Outcome> {
  if (ctx.path !== '/emails' && ctx.path !== '/emails/batch') {
    return jsonAnswer(404, errorBody(404, 'not_found', 'The requested endpoint does not exist.'))
  }
  if (ctx.method !== 'POST') {
    return jsonAnswer(405, errorBody(405, 'method_not_allowed', 'Method Not Allowed'))
  }
  const authError = checkAuth(state.apiKey, authorization)
  if (authError) return authError
  // A rejected request takes no slot, so a client that backs off as told gets through next second.
  if (!admitToWindow(state, state.now())) return rateLimitedAnswer(state)
  const fault = takeFault(state, ctx.path)
  if (fault?.type === 'status') return faultAnswer(fault)
  if (fault?.type === 'drop') return DROP
  return sendIdempotently(state, ctx, ctx.path, fault)
}

/** Holds the idempotency key in flight around the (possibly delayed) processing. */
async function sendIdempotently(
  state: FakeState,
  ctx: RequestContext,
  path: EmailPath,
  fault: Fault | undefined,
): Promise<Outcome> {
  const key = ctx.idempotencyKey
  if (key !== undefined && key.length > MAX_IDEMPOTENCY_KEY) {
    const message = `The idempotency key must be 1-${MAX_IDEMPOTENCY_KEY} characters.`
    return jsonAnswer(400, errorBody(400, 'invalid_idempotency_key', message))
  }
  if (key !== undefined && state.inFlight.has(key)) {
    const message = 'Another request with the same idempotency key is still being processed; retry later.'
    return jsonAnswer(409, errorBody(409, 'concurrent_idempotent_requests', message))
  }
  if (key !== undefined) state.inFlight.add(key)
  try {
    if (fault?.type === 'delay') await sleep(fault.ms)
    const answer = processSend(state, ctx, path)
    return fault?.type === 'crash-after-accept' ? DROP : answer
  } finally {
    if (key !== undefined) state.inFlight.delete(key)
  }
}

function processSend(state: FakeState, ctx: RequestContext, path: EmailPath): Answer {
  const key = ctx.idempotencyKey
  const bodyHash = createHash('sha256').update(ctx.raw).digest('hex')
  const stored = key === undefined ? undefined : state.idempotency.get(key)
  if (stored) {
    if (stored.path === path && stored.bodyHash === bodyHash) return stored.answer
    const message = 'This idempotency key has already been used on a request with a different payload.'
    return jsonAnswer(409, errorBody(409, 'invalid_idempotent_request', message))
  }
  const answer = acceptEmails(state, ctx, path)
  // Only successes are remembered: a retry after a 4xx/5xx or a lost answer must be processed afresh.
  if (key !== undefined && answer.status >= 200 && answer.status < 300) {
    state.idempotency.set(key, { path, bodyHash, answer })
  }
  return answer
}

/** Validates, applies the quota and records the accepted emails. */
function acceptEmails(state: FakeState, ctx: RequestContext, path: EmailPath): Answer {
  if (!ctx.parsed.ok) {
    return jsonAnswer(400, errorBody(400, 'validation_error', 'The request body is not valid JSON.'))
  }
  const checked =
    path === '/emails'
      ? checkSingle(state.validate, ctx.parsed.value)
      : checkBatch(state.validate, ctx.parsed.value, ctx.batchValidation)
  if ('rejection' in checked) return checked.rejection
  if (state.quota) return quotaAnswer(state.quota)
  const meta = { path, idempotencyKey: ctx.idempotencyKey, receivedAt: Date.now() }
  const ids = checked.valid.map(({ email, index }) => {
    const sent = toSentEmail(email, { ...meta, batchIndex: path === '/emails' ? undefined : index })
    state.sent.push(sent)
    return { id: sent.id }
  })
  if (path === '/emails') return jsonAnswer(200, ids[0])
  const permissive = ctx.batchValidation === 'permissive'
  return jsonAnswer(200, permissive ? { data: ids, errors: checked.errors } : { data: ids })
}

// ---------------------------------------------------------------- validation

type Checked =
  | { rejection: Answer }
  | { valid: { email: EmailRequest; index: number }[]; errors: { index: number; message: string }[] }

function checkSingle(validate: ValidateFunction<EmailRequest>, body: unknown): Checked {
  const problems = emailProblems(validate, body, false)
  if (problems.length > 0) return { rejection: validationAnswer(problems.join('; ')) }
  return { valid: [{ email: body as EmailRequest, index: 0 }], errors: [] }
}

function checkBatch(validate: ValidateFunction<EmailRequest>, body: unknown, mode: string): Checked {
  if (mode !== 'strict' && mode !== 'permissive') {
    return { rejection: validationAnswer("`x-batch-validation` must be 'strict' or 'permissive'.") }
  }
  if (!Array.isArray(body)) {
    return { rejection: validationAnswer('The batch body must be an array of emails.') }
  }
  if (body.length < 1 || body.length > MAX_BATCH) {
    return { rejection: validationAnswer(`A batch holds 1 to ${MAX_BATCH} emails; got ${body.length}.`) }
  }
  const valid: { email: EmailRequest; index: number }[] = []
  const errors: { index: number; message: string }[] = []
  body.forEach((email: unknown, index) => {
    const problems = emailProblems(validate, email, true)
    if (problems.length === 0) valid.push({ email: email as EmailRequest, index })
    else errors.push({ index, message: problems.join('; ') })
  })
  // Strict mode is all-or-nothing: one bad email rejects the whole batch and sends none.
  if (mode === 'strict' && errors.length > 0) {
    return { rejection: validationAnswer(errors.map((e) => `emails[${e.index}]: ${e.message}`).join(' | ')) }
  }
  return { valid, errors }
}

/** Every problem with one email: SendEmailRequest first, then rules Resend documents only in prose. */
function emailProblems(validate: ValidateFunction<EmailRequest>, email: unknown, inBatch: boolean): string[] {
  const problems = validate(email) ? [] : describeAjvErrors(validate.errors ?? [])
  if (!isRecord(email)) return problems
  for (const field of ADDRESS_FIELDS) problems.push(...addressProblems(field, email[field]))
  // The spec itself caps `to` at 50 (Ajv reports it); Resend documents the same cap for cc and bcc.
  for (const field of ['cc', 'bcc']) problems.push(...recipientCountProblems(field, email[field]))
  problems.push(...contentProblems(email), ...tagProblems(email.tags), ...headerProblems(email.headers))
  // Resend's batch endpoint documents these two as unsupported, though the spec reuses SendEmailRequest.
  if (inBatch && email.attachments !== undefined) {
    problems.push('`attachments` are not supported in batch sends')
  }
  if (inBatch && email.scheduled_at !== undefined) {
    problems.push('`scheduled_at` is not supported in batch sends')
  }
  return [...new Set(problems)]
}

/** Turns Ajv errors into one line per field, dropping the oneOf/type noise when a sharper error exists. */
function describeAjvErrors(errors: ErrorObject[]): string[] {
  const byField = new Map<string, ErrorObject[]>()
  for (const error of errors) {
    const missing = error.keyword === 'required' ? `/${String(error.params.missingProperty)}` : ''
    const field = fieldName(error.instancePath + missing)
    byField.set(field, [...(byField.get(field) ?? []), error])
  }
  return [...byField].map(([field, fieldErrors]) => `${field} ${describeFieldErrors(fieldErrors)}`)
}

function describeFieldErrors(errors: ErrorObject[]): string {
  const sharp = errors.filter((e) => !['type', 'oneOf', 'anyOf'].includes(e.keyword))
  if (sharp.some((e) => e.keyword === 'required')) return 'is missing'
  if (sharp.length > 0) return sharp.map((e) => e.message).join(', ')
  const types = errors.filter((e) => e.keyword === 'type').map((e) => String(e.params.type))
  return `must be ${types.join(' or ')}`
}

/** JSON pointer `/tags/0/name` -> `` `tags[0].name` ``. */
function fieldName(pointer: string): string {
  const path = pointer
    .split('/')
    .slice(1)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('')
  return `\`${path || 'body'}\``
}

function addressProblems(field: string, value: unknown): string[] {
  return asList(value)
    .filter((address) => typeof address === 'string' && bareAddress(address) === null)
    .map((address) => `\`${field}\` contains an invalid address: ${JSON.stringify(address)}`)
}

function recipientCountProblems(field: string, value: unknown): string[] {
  const count = asList(value).length
  return count > MAX_RECIPIENTS
    ? [`\`${field}\` has ${count} addresses; at most ${MAX_RECIPIENTS} are allowed`]
    : []
}

/** A recipient field as a list; wrong types yield [] because Ajv already reports them. */
function asList(value: unknown): unknown[] {
  if (typeof value === 'string') return [value]
  return Array.isArray(value) ? value : []
}

function contentProblems(email: Record<string, unknown>): string[] {
  const hasBody = email.html !== undefined || email.text !== undefined
  // A published template replaces html/text; the spec says not to combine them.
  if (email.template !== undefined) {
    return hasBody ? ['`template` cannot be combined with `html` or `text`'] : []
  }
  return hasBody ? [] : ['one of `html` or `text` is required']
}

function tagProblems(tags: unknown): string[] {
  if (!Array.isArray(tags)) return []
  return tags.flatMap((tag: unknown, i) =>
    (['name', 'value'] as const)
      .filter((part) => !isRecord(tag) || typeof tag[part] !== 'string' || !TAG_PATTERN.test(tag[part]))
      .map((part) => `\`tags[${i}].${part}\` must be 1-256 ASCII letters, digits, underscores or dashes`),
  )
}

function headerProblems(headers: unknown): string[] {
  if (!isRecord(headers)) return []
  return Object.entries(headers)
    .filter(([, value]) => typeof value !== 'string')
    .map(([name]) => `\`headers.${name}\` must be a string`)
}

// ---------------------------------------------------------------- answers

function checkAuth(apiKey: string | undefined, authorization: string | undefined): Answer | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
  if (!match?.[1]) {
    const message = 'Missing API key in the authorization header. Include: Authorization: Bearer YOUR_API_KEY'
    return jsonAnswer(401, errorBody(401, 'missing_api_key', message))
  }
  if (apiKey !== undefined && !sameSecret(match[1], apiKey)) {
    return jsonAnswer(403, errorBody(403, 'invalid_api_key', 'API key is invalid'))
  }
  return undefined
}

function rateLimitedAnswer(state: FakeState): Answer {
  const { 'ratelimit-reset': reset = '1' } = rateLimitHeaders(state, state.now())
  const message = `Too many requests. You can only make ${state.rateLimit} requests per second.`
  return jsonAnswer(429, errorBody(429, 'rate_limit_exceeded', message), { 'retry-after': reset })
}

function quotaAnswer(quota: 'daily' | 'monthly'): Answer {
  const message = `You have reached your ${quota} email sending quota.`
  return jsonAnswer(429, errorBody(429, `${quota}_quota_exceeded`, message))
}

function faultAnswer(fault: Extract<Fault, { type: 'status' }>): Answer {
  const name = fault.name ?? defaultErrorName(fault.status)
  const body = errorBody(fault.status, name, fault.message ?? `Injected ${fault.status} fault.`)
  // Real 429s always carry retry-after; clients under test rely on it.
  return jsonAnswer(fault.status, body, fault.status === 429 ? { 'retry-after': '1' } : undefined)
}

function defaultErrorName(status: number): string {
  const names: Record<number, string> = {
    400: 'validation_error',
    401: 'missing_api_key',
    403: 'invalid_api_key',
    404: 'not_found',
    405: 'method_not_allowed',
    409: 'invalid_idempotent_request',
    422: 'validation_error',
    429: 'rate_limit_exceeded',
  }
  return names[status] ?? (status >= 500 ? 'internal_server_error' : 'application_error')
}

function validationAnswer(message: string): Answer {
  return jsonAnswer(422, errorBody(422, 'validation_error', message))
}

function errorBody(statusCode: number, name: string, message: string) {
  return { statusCode, name, message }
}

function jsonAnswer(status: number, body: unknown, headers?: Record<string, string>): Answer {
  return { kind: 'answer', status, json: JSON.stringify(body), ...(headers ? { headers } : {}) }
}

function sendAnswer(res: ServerResponse, answer: Answer, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(answer.json),
    ...extraHeaders,
    ...answer.headers,
  })
  res.end(answer.json)
}

// ---------------------------------------------------------------- small helpers

interface SendMeta {
  path: EmailPath
  idempotencyKey: string | undefined
  receivedAt: number
  batchIndex: number | undefined
}

function toSentEmail(
  email: EmailRequest,
  { path, idempotencyKey, receivedAt, batchIndex }: SendMeta,
): SentEmail {
  return {
    id: randomUUID(),
    from: email.from,
    to: toList(email.to),
    subject: email.subject,
    ...(email.html === undefined ? {} : { html: email.html }),
    ...(email.text === undefined ? {} : { text: email.text }),
    headers: email.headers ?? {},
    tags: email.tags ?? [],
    ...(email.reply_to === undefined ? {} : { replyTo: toList(email.reply_to) }),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    path,
    ...(batchIndex === undefined ? {} : { batchIndex }),
    receivedAt,
  }
}

function toList(value: string | string[]): string[] {
  return typeof value === 'string' ? [value] : [...value]
}

/** `x@y.z` or `Name <x@y.z>` -> `x@y.z`; anything else -> null. */
function bareAddress(address: string): string | null {
  const trimmed = address.trim()
  if (BARE_ADDRESS.test(trimmed)) return trimmed
  return NAMED_ADDRESS.exec(trimmed)?.[1] ?? null
}

function sameAddress(a: string, b: string): boolean {
  return (bareAddress(a) ?? a).toLowerCase() === (bareAddress(b) ?? b).toLowerCase()
}

/** Constant-time comparison, as the project does for every secret (hashing equalises the lengths). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(a), digest(b))
}

function parseJson(raw: Buffer): ParsedBody {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) }
  } catch {
    return { ok: false }
  }
}

function countEmails(parsed: ParsedBody): number {
  if (!parsed.ok) return 0
  return Array.isArray(parsed.value) ? parsed.value.length : 1
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function sleep(ms: number): Promise<void> {
  // unref: a pending delay fault must not keep the test process alive after close().
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

function closeServer(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()))
    // Keep-alive sockets from the SDK's fetch would otherwise hold close() open for seconds.
    server.closeAllConnections()
  })
}
