import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.js';
import { Deadline, DeadlineScheduler } from './deadlines.js';
import { seededRandom } from './testing.js';

describe('DeadlineScheduler', () => {
  it('serves many deadlines with one timer, in deadline order, never early', () => {
    const clock = new FakeClock();
    const s = new DeadlineScheduler(clock);
    const rnd = seededRandom(3);
    const fired: { id: number; due: number; at: number }[] = [];
    const t0 = clock.now();
    const dues = Array.from({ length: 300 }, () => t0 + rnd() * 20);
    dues.forEach((due, id) => {
      s.schedule(new Deadline(() => fired.push({ id, due, at: clock.now() })), due);
    });
    assert.equal(clock.pending, 1, 'one timer whatever the number of deadlines');
    clock.advance(25);
    assert.equal(fired.length, 300);
    assert.ok(fired.every((f) => f.at >= f.due));
    assert.ok(fired.every((f, i) => i === 0 || f.due >= fired[i - 1]!.due));
    assert.equal(clock.pending, 0, 'no timer once nothing waits');
  });

  it('cancel and reschedule; the last cancel leaves no timer', () => {
    const clock = new FakeClock();
    const s = new DeadlineScheduler(clock);
    const fired: string[] = [];
    const a = new Deadline(() => fired.push('a'));
    const b = new Deadline(() => fired.push('b'));
    s.schedule(a, clock.now() + 10);
    s.schedule(b, clock.now() + 20);
    s.schedule(a, clock.now() + 30); // moved after b
    s.cancel(b);
    assert.equal(b.scheduled, false);
    clock.advance(25);
    assert.deepEqual(fired, []);
    clock.advance(10);
    assert.deepEqual(fired, ['a']);
    s.schedule(b, clock.now() + 5);
    s.cancel(b);
    assert.equal(clock.pending, 0);
    assert.equal(s.size, 0);
  });

  it('a deadline set while a batch runs waits for the next turn, even when already due', () => {
    const clock = new FakeClock();
    const s = new DeadlineScheduler(clock);
    const at: number[] = [];
    const d: Deadline = new Deadline(() => {
      at.push(clock.now());
      if (at.length < 3) s.schedule(d, clock.now() - 5);
    });
    s.schedule(d, clock.now());
    clock.advance(5);
    assert.equal(at.length, 3);
    assert.ok(at[1]! > at[0]! && at[2]! > at[1]!, `one firing per turn: ${at}`);
  });

  it('a callback that cancels a later one of the same batch stops it; a throw stops nobody', () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const s = new DeadlineScheduler(clock, (e) => errors.push(e));
    const fired: string[] = [];
    const c = new Deadline(() => fired.push('c'));
    const a = new Deadline(() => {
      fired.push('a');
      s.cancel(c);
    });
    const boom = new Deadline(() => {
      throw new Error('boom');
    });
    const b = new Deadline(() => fired.push('b'));
    const due = clock.now() + 1;
    s.schedule(a, due);
    s.schedule(boom, due);
    s.schedule(b, due);
    s.schedule(c, due);
    clock.advance(2);
    assert.deepEqual(fired, ['a', 'b']);
    assert.match(String(errors[0]), /boom/);
  });

  it('wakes spinMs early and finishes the wait on next-turn callbacks', () => {
    const clock = new FakeClock();
    const s = new DeadlineScheduler(clock);
    let at = 0;
    const due = clock.now() + 20;
    s.schedule(
      new Deadline(() => {
        at = clock.now();
      }, 2),
      due,
    );
    clock.tick(); // the timer: 2 ms early, nothing runs
    assert.equal(at, 0);
    assert.ok(due - clock.now() <= 2);
    clock.advance(3);
    assert.ok(at >= due && at < due + 0.5, `fired ${at - due} ms after the deadline`);
  });

  it('is shared per clock', () => {
    const a = new FakeClock();
    assert.equal(DeadlineScheduler.for(a), DeadlineScheduler.for(a));
    assert.notEqual(DeadlineScheduler.for(a), DeadlineScheduler.for(new FakeClock()));
  });
});
