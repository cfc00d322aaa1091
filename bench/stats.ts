/**
 * Small helpers shared by the benchmarks: percentiles, a plain table printer, CPU contention, a
 * process's CPU and memory from /proc, a cross-process clock and a drift-free load pacer.
 */
import { readFileSync } from 'node:fs';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: number[]): {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
} {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? Number.NaN,
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
  };
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const cell = (v: string | number) => (typeof v === 'number' ? fmt(v) : v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c] ?? '').length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`\n${title}\n${line(cols)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => cell(r[c] ?? '')))}\n`);
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v < 10 ? v.toFixed(3) : v.toFixed(1));

/**
 * Milliseconds this process's main thread has spent runnable but waiting for a CPU (Linux
 * schedstat), or undefined where that is not available. Growth during a measurement means the
 * machine, not the code under test, was holding the thread back.
 */
export function runQueueWaitMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/);
    const ns = Number(fields[1]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/** Longest common subsequence of two word lists: how many words were recognised, in order. */
export function lcs(a: string[], b: string[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = dp[i] as number[];
      row[j] =
        a[i - 1] === b[j - 1]
          ? (dp[i - 1]?.[j - 1] ?? 0) + 1
          : Math.max(dp[i - 1]?.[j] ?? 0, row[j - 1] ?? 0);
    }
  }
  return dp[a.length]?.[b.length] ?? 0;
}

const TICK_MS = 10; // USER_HZ on Linux

/** CPU ms (user + system) and RSS MB of a process, from /proc/<pid>/stat and /proc/<pid>/status. */
export function procUsage(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs, rssMb: Number(rss?.[1] ?? 0) / 1024 };
}

/**
 * Milliseconds on the system's monotonic clock (CLOCK_MONOTONIC): unlike performance.now(), the
 * same clock in every process, so a time written by one process can be compared in another.
 */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

/**
 * Runs a load on a drift-free schedule: `onSlot(k)` for slot k is due at start + k * slotMs and
 * every slot runs exactly once, in order, however late the event loop is (owed slots run at once;
 * the schedule never shifts). Load generators give each stream one slot of the 20 ms period, as
 * real callers' packets arrive at random phases. Stops after `slots` slots, or when `stop()`
 * returns true; resolves with each slot's lateness (ms).
 */
export function runSlots(opts: {
  slots: number;
  slotMs?: number;
  onSlot: (k: number, now: number) => void;
  stop?: () => boolean;
  now?: () => number;
  /** Owed slots run in one event-loop turn at most; the rest follow after pending I/O. */
  maxPerTurn?: number;
}): Promise<number[]> {
  const slotMs = opts.slotMs ?? 1;
  const maxPerTurn = opts.maxPerTurn ?? 20;
  const clock = opts.now ?? (() => performance.now());
  const lateness: number[] = [];
  const t0 = clock();
  let k = 0;
  return new Promise((resolve) => {
    const step = () => {
      let now = clock();
      let ran = 0;
      while (k < opts.slots && t0 + k * slotMs <= now) {
        if (opts.stop?.()) return resolve(lateness);
        lateness.push(now - (t0 + k * slotMs));
        opts.onSlot(k, now);
        k++;
        now = clock();
        // A generator that fell behind still lets I/O in between (what comes back is measured).
        if (++ran >= maxPerTurn && t0 + k * slotMs <= now) return void setImmediate(step);
      }
      if (k >= opts.slots || opts.stop?.()) return resolve(lateness);
      setTimeout(step, Math.max(0, t0 + k * slotMs - now));
    };
    step();
  });
}
