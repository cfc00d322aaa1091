import { AppError, validationFailed } from '@switchboard/core';
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
  /** JSON contacts only: agent fields for this contact's calls (already validated by then). */
  agentOverrides?: Record<string, unknown> | undefined;
}

const VARIABLE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const MAX_CONTACTS_PER_REQUEST = 10_000;

/**
 * Why the database could not store `text` as given, or undefined: PostgreSQL text refuses NUL,
 * and a lone UTF-16 surrogate has no UTF-8 form (it would be stored as something else).
 */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\0')) return 'contains a NUL character';
  if (/\p{Cs}/u.test(text)) return 'contains a lone UTF-16 surrogate';
  return undefined;
}

/**
 * Reads a CSV with a `phone` column; every other column is a variable. `firstRow` numbers the
 * first data row (as in `validateContacts`), for errors.
 */
export function parseContactsCsv(text: string, firstRow = 1): RawContact[] {
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
  records.forEach((record, i) => {
    for (const [column, cell] of Object.entries(record)) {
      const why = unstorableText(column) ?? unstorableText(cell);
      if (!why) continue;
      const row = unstorableText(column) ? 0 : firstRow + i;
      const where = `row ${row}, column ${column.replace(/[\0\p{Cs}]/gu, '?')}`;
      throw validationFailed(`invalid CSV: ${where} ${why}`, [
        { path: 'body', message: `${where}: ${why}; the database cannot store it` },
      ]);
    }
  });
  return records.map(({ phone, ...variables }) => ({ phone, variables }));
}

/** The first text of JSON contacts the database could not store, as a 400 naming its field. */
export function refuseUnstorableContacts(raw: RawContact[], path: string): void {
  raw.forEach((r, i) => {
    const fields: [string, unknown][] = [
      ['phone', r.phone],
      ...Object.entries(r.variables && typeof r.variables === 'object' ? r.variables : {}).flatMap(
        ([k, v]): [string, unknown][] => [
          [`variables.${k}`, k],
          [`variables.${k}`, v],
        ],
      ),
    ];
    for (const [field, value] of fields) {
      const why = typeof value === 'string' ? unstorableText(value) : undefined;
      if (why) {
        const at = `${path}.${i}.${field.replace(/[\0\p{Cs}]/gu, '?')}`;
        throw validationFailed(`invalid contact: ${at} ${why}`, [{ path: at, message: why }]);
      }
    }
  });
}

/**
 * Checks every row on its own: a bad number or a missing variable is reported with its row and
 * field, and the other rows go ahead.
 */
export function validateContacts(
  raw: RawContact[],
  o: {
    firstRow: number;
    /** The variables the agent needs, or per row (a row's overrides may add placeholders). */
    required: string[] | ((index: number) => string[]);
    isValidPhone: (v: string) => boolean;
  },
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
    for (const name of typeof o.required === 'function' ? o.required(i) : o.required) {
      if (!(name in variables))
        errors.push({ row, field: name, message: 'missing variable the agent needs' });
    }
    if (errors.length === before) {
      valid.push({
        rowNumber: row,
        phone,
        variables,
        ...(r.agentOverrides ? { agentOverrides: r.agentOverrides } : {}),
      });
    }
  });
  return { valid, errors };
}
