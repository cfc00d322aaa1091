import { Ajv, type ValidateFunction } from 'ajv';

/**
 * Validates tool arguments against the tool's JSON schema. Compiled validators are cached by schema
 * text: every call of an agent shares them, and compiling is far dearer than validating.
 */
const ajv = new Ajv({ allErrors: true, strict: false });
const cache = new Map<string, ValidateFunction | null>();
const CACHE_LIMIT = 1000;

export interface SchemaCheck {
  ok: boolean;
  /** `path: message` per problem, for the model to correct itself. */
  errors: string[];
}

function compile(schema: Record<string, unknown>): ValidateFunction | null {
  const key = JSON.stringify(schema);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let fn: ValidateFunction | null;
  try {
    fn = ajv.compile(schema);
  } catch {
    // The config schema checks the shape loosely; a schema ajv rejects is not enforced.
    fn = null;
  }
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, fn);
  return fn;
}

export function checkArguments(schema: Record<string, unknown>, value: unknown): SchemaCheck {
  const fn = compile(schema);
  if (!fn || fn(value)) return { ok: true, errors: [] };
  const errors = (fn.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
  return { ok: false, errors };
}
