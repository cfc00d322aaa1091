/**
 * Maps the API's validation errors (`details[].path` such as `body.config.turnTaking.endOfTurnSilenceMs`)
 * to the editor's fields, so each message shows next to the control it is about. Pure: unit tested.
 */
import type { ErrorDetail } from './api';

/** Messages by field path, with the request part (`body.`, `query.`) taken off. */
export type FieldErrors = Record<string, string[]>;

export function fieldErrors(details: ErrorDetail[]): FieldErrors {
  const out: FieldErrors = {};
  for (const d of details) {
    const key = d.path.replace(/^(body|query|params)(\.|$)/, '');
    const list = out[key] ?? [];
    list.push(d.message);
    out[key] = list;
  }
  return out;
}

/** A path belongs to a field when it is the field or inside it (`providers.asr.0` is in `providers.asr`). */
const belongsTo = (path: string, field: string) =>
  path === field || path.startsWith(`${field}.`) || (field === '' && path === '');

/** The messages for one field: its own and those of anything inside it, labelled with the rest of the path. */
export function errorsFor(errors: FieldErrors, field: string): string[] {
  const out: string[] = [];
  for (const [path, messages] of Object.entries(errors)) {
    if (!belongsTo(path, field)) continue;
    const rest = path.slice(field.length).replace(/^\./, '');
    for (const m of messages) out.push(rest ? `${rest}: ${m}` : m);
  }
  return out;
}

/**
 * The messages no field on the form claims (a field with no control of its own), each with its
 * path, so they can be shown at the top of the form rather than lost. The most specific field wins;
 * `fields` are the paths that have a control.
 */
export function unclaimed(errors: FieldErrors, fields: string[]): string[] {
  const out: string[] = [];
  for (const [path, messages] of Object.entries(errors)) {
    if (fields.some((f) => belongsTo(path, f))) continue;
    for (const m of messages) out.push(path ? `${path}: ${m}` : m);
  }
  return out;
}
