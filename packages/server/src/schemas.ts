import { isValidPhoneNumber } from 'libphonenumber-js';
import { z } from 'zod';

/** Shared request/response pieces. Bodies are strict: an unknown field is a 400 naming it. */
export const idParams = z.strictObject({ id: z.uuid() });

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().min(1).max(500).optional(),
};

export const timestamp = z.iso.datetime({ offset: true });

/** The paging sentence of every list operation's description, so they all say the same. */
export const PAGED =
  'Newest first, 50 per page by default (`limit` up to 200); while `nextCursor` is not null, pass it ' +
  'back as `cursor` for the next page. A cursor not returned by this list is a 400.';

export const errorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
    }),
  })
  .meta({ id: 'Error' });

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

/** E.164 numbers must be real numbers (libphonenumber); SIP users are plain tokens. */
export const e164 = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 number such as +14155550100')
  .refine((v) => isValidPhoneNumber(v), 'not a valid phone number for its country code');

export const sipUser = z.string().regex(/^[a-zA-Z0-9._~-]{1,64}$/, 'expected a SIP user such as "sales"');

export const numberOrSipUser = z
  .string()
  .min(1)
  .max(64)
  .superRefine((v, ctx) => {
    const r = v.startsWith('+') ? e164.safeParse(v) : sipUser.safeParse(v);
    if (!r.success) ctx.addIssue({ code: 'custom', message: r.error.issues[0]?.message ?? 'invalid number' });
  });

/** Dates become ISO strings; everything else passes through. */
export function json<T>(value: T): Jsonified<T> {
  return JSON.parse(JSON.stringify(value)) as Jsonified<T>;
}

export type Jsonified<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

export const stdErrors = {
  400: errorResponse,
  401: errorResponse,
  403: errorResponse,
  404: errorResponse,
  409: errorResponse,
};
