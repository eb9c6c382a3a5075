// JSON Schemas shared by the /v1 routes. They validate requests (fastify's ajv, which also fills defaults
// and coerces query strings) and are what the OpenAPI document is generated from.

/** A string schema that accepts `values` in any letter case (the SDKs send states and orders in either case). */
export function caseInsensitiveEnum(
  values: readonly string[],
  description?: string,
): Record<string, unknown> {
  const alternatives = values.map((value) =>
    [...value]
      .map((char) => (/[a-z]/i.test(char) ? `[${char.toLowerCase()}${char.toUpperCase()}]` : char))
      .join(''),
  );

  return {
    type: 'string',
    pattern: `^(?:${alternatives.join('|')})$`,
    ...(description === undefined
      ? {}
      : { description: `${description} (any letter case: ${values.join(', ')})` }),
  };
}

/** The query parameters of every list, plus any extra ones. */
export function pageQuerySchema(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      page_size: {
        type: 'integer',
        minimum: 1,
        maximum: 100,
        default: 10,
        description: 'Items per page, 1 to 100.',
      },
      order: { ...caseInsensitiveEnum(['asc', 'desc'], 'Oldest first, or newest first'), default: 'asc' },
      cursor: { type: 'string', maxLength: 512, description: 'An opaque cursor from a `_links` href.' },
      ...extra,
    },
  };
}

/** A path parameter holding an id. */
export const idParam = { type: 'string', minLength: 1, maxLength: 100 } as const;

/** The path parameters `{conversation_id}`. */
export const conversationParams = {
  type: 'object',
  required: ['conversation_id'],
  properties: { conversation_id: idParam },
} as const;

/** A free-form JSON object. */
export const anyObject = { type: 'object', additionalProperties: true } as const;

/** A nullable string of at most `max` characters. */
export function nullableString(max: number): Record<string, unknown> {
  return { type: ['string', 'null'], maxLength: max };
}

/** The catalogue's error body, shared by every route's 4xx and 5xx responses in the OpenAPI document. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'An error of the catalogue (docs/errors.md).',
  required: ['type', 'title', 'code', 'detail', 'instance'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    code: { type: 'string' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    invalid_parameters: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, reason: { type: 'string' } } },
    },
  },
} as const;

/** The fields users and conversations share in request bodies. */
export interface NamedBody {
  name?: string;
  display_name?: string | null;
  image_url?: string | null;
}

/** The `name`, `display_name` and `image_url` a body gives, under their domain names; absent ones stay absent. */
export function namedFields(body: NamedBody): {
  name?: string;
  displayName?: string | null;
  imageUrl?: string | null;
} {
  const out: { name?: string; displayName?: string | null; imageUrl?: string | null } = {};
  if (body.name !== undefined) {
    out.name = body.name;
  }
  if (body.display_name !== undefined) {
    out.displayName = body.display_name;
  }
  if (body.image_url !== undefined) {
    out.imageUrl = body.image_url;
  }

  return out;
}
