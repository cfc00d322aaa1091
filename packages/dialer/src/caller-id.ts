import { type ErrorDetail, validationFailed } from '@switchboard/core';
import type { Db, PageQuery } from '@switchboard/store';
import type { CallerIdPool } from './model.js';
import { deletePool, findPool, getPool, insertPool, listPools, UUID, updatePool } from './repos/pools.js';
import { type OwnedNumber, ownedNumbers } from './repos/settings.js';
import { type Clock, systemClock } from './types.js';

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Turns a `from` (an owned number, a list of them, or a caller-ID pool's id or name) into the
 * numbers a call may go out on. Dispatch takes them in turn, each within its per-second rate.
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
      throw validationFailed(`no caller-ID pool ${from}`, [
        { path, message: 'expected a number the workspace owns or the id or name of its caller-ID pool' },
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

export interface PoolInput {
  name: string;
  numbers: string[];
}

/** Caller-ID pools: named sets of the workspace's numbers that calls and campaigns go out on. */
export class CallerIdPools {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = systemClock,
  ) {}

  list(workspaceId: string, q: PageQuery) {
    return listPools(this.db, workspaceId, q);
  }

  get(workspaceId: string, id: string): Promise<CallerIdPool> {
    return getPool(this.db, workspaceId, id);
  }

  async create(workspaceId: string, input: PoolInput): Promise<CallerIdPool> {
    checkName(input.name);
    await this.checkNumbers(workspaceId, input.numbers);
    return insertPool(this.db, workspaceId, input);
  }

  /** Checks everything before writing anything: a refused edit leaves the pool as it was. */
  async update(workspaceId: string, id: string, patch: Partial<PoolInput>): Promise<CallerIdPool> {
    await getPool(this.db, workspaceId, id);
    if (patch.name !== undefined) checkName(patch.name);
    if (patch.numbers !== undefined) await this.checkNumbers(workspaceId, patch.numbers);
    return updatePool(this.db, workspaceId, id, patch, new Date(this.clock.now()));
  }

  delete(workspaceId: string, id: string): Promise<void> {
    return deletePool(this.db, workspaceId, id);
  }

  private async checkNumbers(workspaceId: string, numbers: string[]): Promise<void> {
    const owned = await ownedNumbers(this.db, workspaceId, numbers);
    const details: ErrorDetail[] = [];
    numbers.forEach((n, i) => {
      if (numbers.indexOf(n) !== i) details.push({ path: `body.numbers.${i}`, message: 'listed twice' });
      else if (!owned.some((o) => o.number === n)) {
        details.push({ path: `body.numbers.${i}`, message: 'not a phone number of this workspace' });
      }
    });
    if (details.length > 0)
      throw validationFailed('numbers must be distinct numbers the workspace owns', details);
  }
}

/** Names and ids share `from`: a name may not look like a number or an id. */
function checkName(name: string): void {
  if (E164.test(name) || UUID.test(name) || name.startsWith('+')) {
    throw validationFailed('invalid pool name', [
      { path: 'body.name', message: 'a pool name may not look like a phone number or an id' },
    ]);
  }
}
