// Checks real responses against an OpenAPI 3.1 document: the status is
// documented for the operation, and a JSON body validates against the
// documented schema, with no property the schema does not name (so a field
// added to a response but not to its schema is caught, not only a missing one).
// A small JSON Schema subset: what zod-to-openapi emits for this API.

// deno-lint-ignore no-explicit-any
type Schema = Record<string, any>;
// deno-lint-ignore no-explicit-any
type Doc = Record<string, any>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function resolve(doc: Doc, s: Schema): Schema {
  while (s.$ref) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(s.$ref)?.[1];
    if (!name || !doc.components?.schemas?.[name]) {
      throw new Error(`unresolved $ref ${s.$ref}`);
    }
    s = doc.components.schemas[name];
  }
  return s;
}

/** Every property name a schema declares, through allOf. */
function declared(doc: Doc, s: Schema): Set<string> {
  s = resolve(doc, s);
  const out = new Set<string>(Object.keys(s.properties ?? {}));
  for (const part of s.allOf ?? []) {
    for (const k of declared(doc, part)) out.add(k);
  }
  return out;
}

function typeMatches(t: string, v: unknown): boolean {
  switch (t) {
    case "null":
      return v === null;
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "integer":
      return Number.isInteger(v);
    case "array":
      return Array.isArray(v);
    case "object":
      return isObject(v);
  }
  return false;
}

/**
 * The places where `value` does not match `schema` (empty: it matches).
 * `closed`: properties the schema does not declare are errors.
 */
export function schemaErrors(
  doc: Doc,
  schema: Schema,
  value: unknown,
  path = "$",
  closed = true,
): string[] {
  const s = resolve(doc, schema);
  const errors: string[] = [];
  if (s.allOf) {
    for (const part of s.allOf) {
      errors.push(...schemaErrors(doc, part, value, path, false));
    }
    if (closed && isObject(value)) {
      const known = declared(doc, s);
      for (const k of Object.keys(value)) {
        if (!known.has(k)) errors.push(`${path}.${k}: not in the schema`);
      }
    }
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    if (!s[key]) continue;
    const ok = s[key].some((alt: Schema) =>
      schemaErrors(doc, alt, value, path, closed).length === 0
    );
    if (!ok) errors.push(`${path}: matches none of ${key}`);
  }
  if (s.enum && !s.enum.includes(value)) {
    errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
  }
  if (s.type) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => typeMatches(t, value))) {
      errors.push(`${path}: ${JSON.stringify(value)} is not ${types}`);
      return errors;
    }
  }
  if (typeof value === "number") {
    if (s.minimum !== undefined && value < s.minimum) {
      errors.push(`${path}: below ${s.minimum}`);
    }
    if (s.maximum !== undefined && value > s.maximum) {
      errors.push(`${path}: above ${s.maximum}`);
    }
  }
  if (isObject(value) && (s.properties || s.type === "object")) {
    for (const k of s.required ?? []) {
      if (!(k in value)) errors.push(`${path}.${k}: required but missing`);
    }
    for (const [k, v] of Object.entries(value)) {
      const sub = s.properties?.[k];
      if (sub) errors.push(...schemaErrors(doc, sub, v, `${path}.${k}`));
      else if (
        !s.allOf &&
        (s.additionalProperties === false ||
          (closed && s.additionalProperties === undefined))
      ) errors.push(`${path}.${k}: not in the schema`);
    }
  }
  if (Array.isArray(value) && s.items) {
    value.forEach((v, i) =>
      errors.push(...schemaErrors(doc, s.items, v, `${path}[${i}]`))
    );
  }
  return errors;
}

/**
 * Checks `res` against the operation `method path` of `doc`: its status and
 * content type are documented, and a JSON body matches the schema. Returns
 * the body (parsed when JSON).
 */
export async function checkResponse(
  doc: Doc,
  method: string,
  path: string,
  res: Response,
): Promise<unknown> {
  const where = `${method.toUpperCase()} ${path} ${res.status}`;
  const op = doc.paths?.[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${path}: not in the document`);
  const documented = op.responses?.[res.status];
  if (!documented) throw new Error(`${where}: status not documented`);
  const type = res.headers.get("content-type")?.split(";")[0].trim();
  if (!type) {
    if (documented.content) throw new Error(`${where}: no content-type`);
    await res.body?.cancel();
    return null;
  }
  const media = documented.content?.[type];
  if (!media) throw new Error(`${where}: content-type ${type} not documented`);
  if (!/json$/.test(type)) return await res.text();
  const body = await res.json();
  const errors = schemaErrors(doc, media.schema, body);
  if (errors.length) {
    throw new Error(`${where}: body does not match:\n  ${errors.join("\n  ")}`);
  }
  return body;
}
