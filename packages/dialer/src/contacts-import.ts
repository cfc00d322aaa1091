import { AppError } from '@switchboard/core';
import { parse } from 'csv-parse/sync';
import type { ContactInput } from './repos/contacts.js';

export interface RowError {
  /** 1 = the first data row (the header is row 0). */
  row: number;
  field: string;
  message: string;
}

export interface RawContact {
  phone?: unknown;
  variables?: unknown;
}

const VARIABLE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const MAX_CONTACTS_PER_REQUEST = 10_000;

/** Reads a CSV with a `phone` column; every other column is a variable. */
export function parseContactsCsv(text: string): RawContact[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, {
      columns: (h: string[]) => h.map((c) => c.trim()),
      skip_empty_lines: true,
      bom: true,
      trim: true,
    });
  } catch (e) {
    throw new AppError('bad_request', `the CSV could not be read: ${(e as Error).message}`, {
      details: [{ path: 'body', message: 'expected CSV with a header row' }],
    });
  }
  if (records.length > 0 && !('phone' in records[0]!)) {
    throw new AppError('validation_failed', 'the CSV has no phone column', {
      details: [{ path: 'body.phone', message: 'add a column named phone' }],
    });
  }
  return records.map(({ phone, ...variables }) => ({ phone, variables }));
}

/**
 * Checks every row on its own: a bad number or a missing variable is reported with its row and
 * field, and the other rows go ahead.
 */
export function validateContacts(
  raw: RawContact[],
  o: { firstRow: number; required: string[]; isValidPhone: (v: string) => boolean },
): { valid: ContactInput[]; errors: RowError[] } {
  const valid: ContactInput[] = [];
  const errors: RowError[] = [];
  raw.forEach((r, i) => {
    const row = o.firstRow + i;
    const before = errors.length;
    const phone = typeof r.phone === 'string' ? r.phone.replace(/[\s().-]/g, '') : '';
    if (!phone) errors.push({ row, field: 'phone', message: 'missing phone number' });
    else if (!o.isValidPhone(phone))
      errors.push({ row, field: 'phone', message: 'not a valid E.164 phone number' });
    const variables: Record<string, string> = {};
    const given =
      r.variables && typeof r.variables === 'object' ? (r.variables as Record<string, unknown>) : {};
    for (const [k, v] of Object.entries(given)) {
      if (!VARIABLE.test(k)) {
        errors.push({ row, field: k, message: 'variable names are letters, digits and _' });
        continue;
      }
      if (v === undefined || v === null || v === '') continue;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        errors.push({ row, field: `variables.${k}`, message: 'expected text' });
        continue;
      }
      variables[k] = String(v).slice(0, 2000);
    }
    for (const name of o.required) {
      if (!(name in variables))
        errors.push({ row, field: name, message: 'missing variable the agent needs' });
    }
    if (errors.length === before) valid.push({ rowNumber: row, phone, variables });
  });
  return { valid, errors };
}
