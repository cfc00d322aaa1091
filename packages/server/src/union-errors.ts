import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { $ZodType } from 'zod/v4/core';

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  errors?: Issue[][];
  [k: string]: unknown;
}

/** The shape fastify-type-provider-zod gives each issue, which the error handler recognises. */
interface ValidationEntry {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  message: string;
  params: Record<string, unknown>;
}

const MARK = Symbol.for('ZodFastifySchemaValidationError');

/**
 * The zod validator, except that a failed union (a body that is JSON or CSV text) reports the
 * issues of the one branch whose type the input had, each at its own path, instead of one
 * nameless `invalid_union` at the root.
 */
export const namedUnionValidatorCompiler: FastifySchemaCompiler<$ZodType> = (route) => {
  const validate = validatorCompiler(route);
  return (data) => {
    const r = validate(data) as { error?: ValidationEntry[] };
    if (!r.error) return r as ReturnType<typeof validate>;
    const error = r.error.flatMap((e) => expand(e));
    return { error: error as never };
  };
};

function expand(e: ValidationEntry): ValidationEntry[] {
  const branches = (e.params.errors as Issue[][] | undefined) ?? [];
  if (e.keyword !== 'invalid_union' || branches.length === 0) return [e];
  // A branch failing with a type error at its root is one the input was never meant for.
  const fitting = branches.filter(
    (issues) => !issues.some((i) => i.code === 'invalid_type' && i.path.length === 0),
  );
  if (fitting.length !== 1) return [e];
  const base = e.instancePath.replace(/\/$/, '');
  return fitting[0]!.flatMap((i) => {
    const path = i.path.map(String).join('/');
    const { code, path: _p, message, ...params } = i;
    const entry = {
      [MARK]: true,
      keyword: code,
      instancePath: `${base}/${path}`,
      schemaPath: `#/${path}/${code}`,
      message,
      params,
    };
    return expand(entry);
  });
}
