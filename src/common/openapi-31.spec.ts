import { withJsonSchemaNulls } from './openapi-31';

describe("OpenAPI 3.0's nullable in 3.1's JSON Schema", () => {
  const schemaOf = (property: Record<string, unknown>) =>
    (withJsonSchemaNulls({ components: { schemas: { View: { type: 'object', properties: { field: property } } } } }) as any).components.schemas.View.properties.field;

  it.each([
    ['a typed schema gets null among its types', { type: 'integer', nullable: true, minimum: 1 }, { type: ['integer', 'null'], minimum: 1 }],
    ['an enum lists null too, or null would fail it', { type: 'string', enum: ['body', '2xx'], nullable: true }, { type: ['string', 'null'], enum: ['body', '2xx', null] }],
    ['an array of types gets null once', { type: ['string', 'null'], nullable: true }, { type: ['string', 'null'] }],
    [
      'a reference Nest wraps in allOf becomes oneOf the reference and null, its description kept beside',
      { nullable: true, type: 'object', allOf: [{ $ref: '#/components/schemas/Payment' }], description: 'the payment' },
      { description: 'the payment', oneOf: [{ $ref: '#/components/schemas/Payment' }, { type: 'null' }] },
    ],
    ['a bare reference becomes oneOf it and null', { $ref: '#/components/schemas/Payment', nullable: true }, { oneOf: [{ $ref: '#/components/schemas/Payment' }, { type: 'null' }] }],
    ['nullable: false is only dropped', { type: 'string', nullable: false }, { type: 'string' }],
    ['a schema without a type already takes null', { description: 'anything', nullable: true }, { description: 'anything' }],
  ])('%s', (_, property, expected) => {
    expect(schemaOf(property)).toEqual(expected);
  });

  it('rewrites nested schemas (array items, inline schemas of operations) and leaves the given document as it was', () => {
    const document = {
      paths: { '/x': { get: { responses: { '200': { content: { 'application/json': { schema: { type: 'array', items: { type: 'string', nullable: true } } } } } } } } },
    };
    const rewritten = withJsonSchemaNulls(document) as any;
    expect(rewritten.paths['/x'].get.responses['200'].content['application/json'].schema.items).toEqual({ type: ['string', 'null'] });
    expect(document.paths['/x'].get.responses['200'].content['application/json'].schema.items).toEqual({ type: 'string', nullable: true });
  });

  it('leaves a property that is named nullable alone', () => {
    expect(schemaOf({ type: 'object', properties: { nullable: { type: 'boolean' } } })).toEqual({ type: 'object', properties: { nullable: { type: 'boolean' } } });
  });
});
