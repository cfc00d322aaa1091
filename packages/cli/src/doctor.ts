import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { resolve } from 'node:path';
import { type Config, ConfigError, loadConfig } from '@switchboard/core';
import { localStackStatus, ModelLocator, modelReadiness } from '@switchboard/providers';
import { openDatabase } from '@switchboard/store';
import { neededModels } from './model-needs.js';

export interface Check {
  ok: boolean | 'warn';
  what: string;
  /** How to fix it, when it is not ok. */
  fix?: string;
}

/** package.json's `engines.node` (a test keeps the two equal). */
export const MIN_NODE = [22, 12] as const;

/** `switchboard doctor`: checks this machine for what the platform needs and says how to fix each. */
export async function doctorCommand(
  env: NodeJS.ProcessEnv = process.env,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const checks = await runChecks(env);
  for (const c of checks) {
    const mark = c.ok === true ? '✓' : c.ok === 'warn' ? '!' : '✗';
    out.write(`${mark} ${c.what}\n`);
    if (c.ok !== true && c.fix) out.write(`    → ${c.fix}\n`);
  }
  const failed = checks.filter((c) => c.ok === false).length;
  out.write(
    failed === 0 ? '\nReady to start: npm start\n' : `\n${failed} problem(s) to fix before npm start.\n`,
  );
  return failed === 0 ? 0 : 1;
}

export async function runChecks(env: NodeJS.ProcessEnv): Promise<Check[]> {
  const checks: Check[] = [nodeCheck()];
  let config: Config;
  try {
    config = loadConfig(env);
    checks.push({ ok: true, what: 'configuration (environment and .env) is valid' });
  } catch (e) {
    checks.push({
      ok: false,
      what: 'configuration is invalid',
      fix: e instanceof ConfigError ? e.message : String(e),
    });
    return checks;
  }
  checks.push(await tcpPortCheck('HTTP', config.HOST, config.PORT, 'PORT'));
  if (config.SIP_ENABLED) checks.push(await udpPortCheck(config.SIP_HOST, config.SIP_PORT));
  checks.push(await databaseCheck(config));
  checks.push(...(await voiceChecks(config)));
  if (config.REDIS_URL) checks.push(await reachable('Redis', config.REDIS_URL, 6379, 'REDIS_URL'));
  if (config.MQTT_URL) checks.push(await reachable('MQTT broker', config.MQTT_URL, 1883, 'MQTT_URL'));
  checks.push({
    ok: 'warn',
    what: 'provider API keys are stored per workspace (encrypted), not in the environment',
    fix: 'check each with POST /v1/providers/{id}/test',
  });
  return checks;
}

function nodeCheck(): Check {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return {
    ok,
    what: `Node.js ${process.versions.node}${ok ? '' : ` (needs ${MIN_NODE.join('.')} or newer)`}`,
    ...(ok
      ? {}
      : {
          fix: `install Node.js ${MIN_NODE.join('.')} or newer: 22 LTS or 24 (https://nodejs.org, or \`nvm install\`, which reads .nvmrc)`,
        }),
  };
}

/** Free, or already serving a Switchboard (then `npm start` is running: fine for the CLI). */
async function tcpPortCheck(label: string, host: string, port: number, setting: string): Promise<Check> {
  const free = await new Promise<boolean>((done) => {
    const s = createServer();
    s.once('error', () => done(false));
    s.listen(port, host, () => s.close(() => done(true)));
  });
  if (free) return { ok: true, what: `${label} port ${host}:${port} is free` };
  const ours = await fetch(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/health/live`, {
    signal: AbortSignal.timeout(1500),
  })
    .then((r) => r.ok)
    .catch(() => false);
  return ours
    ? { ok: 'warn', what: `${label} port ${host}:${port} is in use by a running Switchboard` }
    : {
        ok: false,
        what: `${label} port ${host}:${port} is in use by another program`,
        fix: `stop that program or set ${setting} to a free port`,
      };
}

async function udpPortCheck(host: string, port: number): Promise<Check> {
  const free = await new Promise<boolean>((done) => {
    const s = createSocket('udp4');
    s.once('error', () => done(false));
    s.bind(port, host, () => s.close(() => done(true)));
  });
  return free
    ? { ok: true, what: `SIP port ${host}:${port}/udp is free` }
    : {
        ok: false,
        what: `SIP port ${host}:${port}/udp is in use`,
        fix: 'stop the other SIP program (or a running Switchboard), set SIP_PORT, or SIP_ENABLED=false',
      };
}

async function databaseCheck(config: Config): Promise<Check> {
  if (config.DATABASE_URL) {
    const db = await openDatabase({ url: config.DATABASE_URL, poolSize: 1 }).catch((e: Error) => e);
    if (db instanceof Error) return dbDown(db);
    try {
      await Promise.race([
        db.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000).unref()),
      ]);
      return { ok: true, what: 'PostgreSQL reachable at DATABASE_URL' };
    } catch (e) {
      return dbDown(e as Error);
    } finally {
      await db.close().catch(() => {});
    }
  }
  const dir = resolve(config.DATA_DIR);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch {
    return {
      ok: false,
      what: `data directory ${dir} is not writable`,
      fix: 'fix its permissions or set DATA_DIR',
    };
  }
  const lock = resolve(dir, 'pglite.lock');
  const pid = existsSync(lock) ? Number.parseInt(readFileSync(lock, 'utf8'), 10) : Number.NaN;
  if (Number.isInteger(pid) && alive(pid)) {
    return {
      ok: 'warn',
      what: `embedded database in ${dir} is open in process ${pid} (a running Switchboard)`,
      fix: 'the embedded database serves one process; set DATABASE_URL to run several',
    };
  }
  return { ok: true, what: `embedded database (PGlite) in ${dir}` };
}

const dbDown = (e: Error): Check => ({
  ok: false,
  what: `PostgreSQL at DATABASE_URL cannot be reached: ${e.message}`,
  fix: 'start PostgreSQL, fix DATABASE_URL, or unset it to use the embedded database',
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function voiceChecks(config: Config): Promise<Check[]> {
  const models = new ModelLocator(config.modelsDir);
  const status = await localStackStatus(models);
  const checks: Check[] = [{ ok: true, what: 'speech synthesis: built-in (eSpeak NG, WebAssembly)' }];
  // The models of the default providers and the unavailable line; `switchboard models list`
  // adds those of the stored agents.
  for (const m of await modelReadiness(models, await neededModels())) {
    checks.push(
      m.located
        ? {
            ok: true,
            what: `model ${m.id}: ${m.located.from === 'models-dir' ? m.located.dir : m.located.label}`,
          }
        : { ok: 'warn', what: `model ${m.id} is missing`, fix: models.fixText(m.id) },
    );
  }
  for (const c of status.components) {
    checks.push(
      c.present
        ? { ok: true, what: `${c.name}: ${c.path ?? 'present'} (${c.usedBy})` }
        : {
            ok: 'warn',
            what: `${c.name} not installed (${c.usedBy})`,
            fix: `apt-get install -y ${c.aptPackage}`,
          },
    );
  }
  return checks;
}

async function reachable(label: string, url: string, defaultPort: number, setting: string): Promise<Check> {
  const u = new URL(url);
  const ok = await new Promise<boolean>((done) => {
    const s = createConnection({ host: u.hostname, port: Number(u.port || defaultPort), timeout: 2000 });
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('timeout', () => {
      s.destroy();
      done(false);
    });
    s.once('error', () => done(false));
  });
  return ok
    ? { ok: true, what: `${label} reachable at ${u.host}` }
    : {
        ok: false,
        what: `${label} at ${u.host} cannot be reached`,
        fix: `start it, fix ${setting}, or unset it`,
      };
}
