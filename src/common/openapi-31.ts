type Schema = Record<string, unknown>;

/** What a schema says about a value rather than which values it allows: kept beside a `oneOf`, not inside it. */
const ANNOTATIONS = ['title', 'description', 'example', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly'];

/**
 * Rewrites OpenAPI 3.0's `nullable: true`, which @nestjs/swagger writes for `nullable` properties
 * even in a document that declares 3.1, into 3.1's JSON Schema: 3.1 dropped the keyword, so a 3.1
 * tool (a client generator, a validator) ignores it and takes the field for never null. A typed
 * schema gets `null` among its types (and its enum); a reference, which cannot take a sibling
 * `type`, becomes `oneOf: [the reference, { type: 'null' }]`. Walks the whole document: the
 * keyword appears only in schemas. Answers a new document; the one given is left as it is.
 */
export function withJsonSchemaNulls<T extends object>(document: T): T {
  return rewrite(document) as T;
}

function rewrite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewrite);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).map(([key, inner]) => [key, rewrite(inner)]);
  const object: Schema = Object.fromEntries(entries);
  return typeof object.nullable === 'boolean' ? nullableSchema(object) : object;
}

function nullableSchema({ nullable, ...schema }: Schema): Schema {
  if (!nullable) return schema;
  if ('$ref' in schema || 'allOf' in schema || 'oneOf' in schema || 'anyOf' in schema) {
    const annotations = Object.fromEntries(Object.entries(schema).filter(([key]) => ANNOTATIONS.includes(key)));
    const shape = Object.fromEntries(Object.entries(schema).filter(([key]) => !ANNOTATIONS.includes(key)));
    return { ...annotations, oneOf: [unwrapped(shape), { type: 'null' }] };
  }
  if (schema.type === undefined) return schema; // no type: null is already allowed
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const withNull: Schema = { ...schema, type: types.includes('null') ? types : [...types, 'null'] };
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) withNull.enum = [...schema.enum, null];
  return withNull;
}

/** `{ type: 'object', allOf: [{ $ref }] }`, how Nest writes a nullable reference, is the reference alone. */
function unwrapped(shape: Schema): Schema {
  const { type, allOf, ...rest } = shape;
  const onlyMember = Array.isArray(allOf) && allOf.length === 1 && Object.keys(rest).length === 0 && (type === undefined || type === 'object');
  return onlyMember ? (allOf[0] as Schema) : shape;
}
