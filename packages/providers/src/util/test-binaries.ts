import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { findBinary } from './binaries.js';

/**
 * For tests that run a system binary. Locally a missing binary skips the test (with the reason);
 * under CI (CI set) it fails, so a broken CI image cannot pass by skipping everything.
 */
export function needBinary(t: TestContext, name: string, aptPackage: string): boolean {
  if (findBinary(name)) return true;
  const why = `needs ${name}: apt-get install -y ${aptPackage}`;
  if (process.env.CI) assert.fail(`${why}; CI must install it`);
  t.skip(why);
  return false;
}
