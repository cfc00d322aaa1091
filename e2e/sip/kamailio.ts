/**
 * Kamailio in the foreground with the configuration the repository ships
 * (`deploy/kamailio/kamailio.cfg`) and the given workers in dispatcher set 1: for the two-worker
 * test and the scale-out benchmark.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CONFIG = new URL('../../deploy/kamailio/kamailio.cfg', import.meta.url).pathname;

export interface Kamailio {
  pid: number;
  /** What it wrote so far (it logs to stderr). */
  output(): string;
  /** Resolves once it listens. */
  ready(timeoutMs?: number): Promise<void>;
  /** Kills it and the workers it forked. */
  stop(): void;
}

/** Starts Kamailio on udp 127.0.0.1:`port` in front of SIP workers on 127.0.0.1:`workers`. */
export function startKamailio(dir: string, port: number, workers: number[]): Kamailio {
  const list = join(dir, 'dispatcher.list');
  writeFileSync(list, workers.map((w) => `1 sip:127.0.0.1:${w}\n`).join(''));
  const child = spawn(
    'kamailio',
    [
      '-f',
      CONFIG,
      '-DD',
      '-E',
      '-A',
      `LISTEN=udp:127.0.0.1:${port}`,
      '-A',
      `DISPATCHER_LIST="${list}"`,
      '-Y',
      dir,
      '-P',
      join(dir, 'kamailio.pid'),
    ],
    // Its own process group: Kamailio forks workers that hold the pipes, and all must go.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-50_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    pid: child.pid as number,
    output: () => out,
    async ready(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes('Listening on')) {
        if (child.exitCode !== null) throw new Error(`kamailio exited: ${out.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`kamailio did not start: ${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop() {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {}
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
  };
}
