import type { SchemaObject } from 'ajv'

/** `to`, `cc`, `bcc` and `reply_to` without the cap: one address, or several as an array. */
const addresses = { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }

/**
 * SendEmailRequest, the body of POST /emails and of each item of POST /emails/batch, written from Resend's
 * API reference with the property names, types and required list of its OpenAPI description
 * (resend/resend-openapi, components.schemas). It is a faithful copy, not a stricter one, so that
 * tests/unit/resend-schema-agreement.test.ts can hold it to the official file: the rules Resend states
 * only in prose (address syntax, cc/bcc caps, tag characters, string header values, html or text, batch
 * limits) are checked in fake-resend.ts.
 */
export const sendEmailRequestSchema: SchemaObject = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['from', 'to', 'subject'],
  properties: {
    from: { type: 'string' },
    to: {
      oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 50 }],
    },
    subject: { type: 'string' },
    bcc: addresses,
    cc: addresses,
    reply_to: addresses,
    html: { type: 'string' },
    text: { type: 'string' },
    template: { $ref: '#/$defs/EmailTemplateInput' },
    headers: { type: 'object' },
    scheduled_at: { type: 'string' },
    attachments: { type: 'array', items: { $ref: '#/$defs/Attachment' } },
    tags: { type: 'array', items: { $ref: '#/$defs/Tag' } },
    topic_id: { type: 'string' },
  },
  $defs: {
    Attachment: {
      type: 'object',
      properties: {
        // The official file marks this `format: binary`, which means no more than "a string" in JSON.
        content: { type: 'string' },
        filename: { type: 'string' },
        path: { type: 'string' },
        content_type: { type: 'string' },
        content_id: { type: 'string' },
      },
    },
    Tag: {
      type: 'object',
      properties: { name: { type: 'string' }, value: { type: 'string' } },
    },
    EmailTemplateInput: {
      type: 'object',
      required: ['id'],
      properties: {
        id: { type: 'string' },
        variables: {
          type: 'object',
          additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }] },
        },
      },
    },
  },
}
