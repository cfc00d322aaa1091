import { timestamp } from 'drizzle-orm/pg-core';

/** A timestamptz with millisecond precision, so keyset cursors (JS Dates) compare exactly. */
export const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });
