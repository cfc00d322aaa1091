import { validationFailed } from '@switchboard/core';
import type { Db } from '@switchboard/store';
import { findPool, type OwnedNumber, ownedNumbers } from './repos/settings.js';

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Turns a `from` (an owned number, a list of them, or a caller-ID pool name) into the numbers a
 * call may go out on. Dispatch takes the first one whose per-second rate has room.
 */
export async function resolveCallerIds(
  db: Db,
  workspaceId: string,
  from: string | string[],
  path = 'body.from',
): Promise<OwnedNumber[]> {
  let numbers: string[];
  if (Array.isArray(from)) numbers = from;
  else if (E164.test(from)) numbers = [from];
  else {
    const pool = await findPool(db, workspaceId, from);
    if (!pool) {
      throw validationFailed(`no caller-ID pool named ${from}`, [
        { path, message: 'expected a number the workspace owns or a caller-ID pool name' },
      ]);
    }
    numbers = pool.numbers;
  }
  const owned = await ownedNumbers(db, workspaceId, numbers);
  const missing = numbers.filter((n) => !owned.some((o) => o.number === n));
  if (missing.length > 0 || owned.length === 0) {
    throw validationFailed('from must be numbers the workspace owns', [
      { path, message: `not a phone number of this workspace: ${missing.length} of ${numbers.length}` },
    ]);
  }
  return owned;
}
