// Checks the deployment artefacts (Dockerfile, .dockerignore, compose.yaml, the Helm chart) against
// the repository they deploy: the configuration schema, the start script, the health routes and the
// metric names, and lint the Dockerfile. No image is built and no chart is rendered here; see
// docs/deployment.md for what these checks cover and what they do not.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ValidationSeverity, validate } from 'dockerfile-utils';
import { parse } from 'yaml';
import { envSchema, loadConfig } from '../packages/core/src/config.js';

const root = new URL('..', import.meta.url).pathname;
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const known = new Set(Object.keys(envSchema.shape));
const defaults = envSchema.parse({});
const drainMs = defaults.SHUTDOWN_GRACE_MS + defaults.SHUTDOWN_HANGUP_MS;

type Obj = Record<string, unknown>;
const obj = (v: unknown, what: string): Obj => {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${what} is a mapping`);
  return v as Obj;
};

// --- Dockerfile ------------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
  stage: string;
}

/** The Dockerfile's instructions, continuation lines joined, each with the stage it belongs to. */
function dockerfile(): Instruction[] {
  const logical = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  let stage = '';
  return logical.map((line) => {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? args;
    return { op: op.toUpperCase(), args, stage };
  });
}

/** The KEY=value pairs of ENV instructions (the form with `=` only). */
function envPairs(args: string): [string, string][] {
  return [...args.matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g)].map((m) => [
    m[1]!,
    m[2]!.replace(/^"|"$/g, ''),
  ]);
}

/** A .dockerignore pattern as a regular expression over repository paths (Go filepath.Match, plus **). */
function ignoreRegex(pattern: string): RegExp {
  const p = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*') {
      re += '.*';
      i++;
      if (p[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A matched directory excludes everything under it.
  return new RegExp(`^${re}(/.*)?$`);
}

function dockerIgnored(path: string): boolean {
  let ignored = false;
  for (const raw of read('.dockerignore').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (ignoreRegex(negate ? line.slice(1) : line).test(path)) ignored = !negate;
  }
  return ignored;
}

test('Dockerfile: the build context keeps what the build needs and leaves out what must be rebuilt', () => {
  const packages = readdirSync(join(root, 'packages'));
  const needed = [
    'package.json',
    'package-lock.json',
    '.npmrc',
    'tsconfig.json',
    'tsconfig.base.json',
    'scripts/start.mjs',
    'scripts/build.mjs',
    'packages/web/bundle.mjs',
    'packages/web/src/main.tsx',
    'packages/store/drizzle',
    ...packages.map((p) => `packages/${p}/package.json`),
    ...packages.filter((p) => existsSync(join(root, 'packages', p, 'src'))).map((p) => `packages/${p}/src`),
  ];
  for (const p of needed) {
    assert.ok(existsSync(join(root, p)), `${p} exists`);
    assert.equal(dockerIgnored(p), false, `.dockerignore must not exclude ${p}`);
  }
  for (const p of [
    'node_modules',
    'packages/core/node_modules',
    'packages/core/dist',
    'packages/web/dist',
    'data',
    '.git',
    'test-artifacts',
    '.env',
  ]) {
    assert.equal(dockerIgnored(p), true, `.dockerignore excludes ${p}`);
  }
  assert.equal(dockerIgnored('.env.example'), false, '.env.example stays in');
});

// The linter of the Dockerfile language server (dockerfile-utils, the one editors run), with every
// rule it has raised to an error: no image can be built here (no Docker engine, no registry).
test('Dockerfile: the Dockerfile linter finds nothing, with every rule an error', () => {
  const E = ValidationSeverity.ERROR;
  const rules = {
    deprecatedMaintainer: E,
    directiveCasing: E,
    emptyContinuationLine: E,
    instructionCasing: E,
    instructionCmdMultiple: E,
    instructionEntrypointMultiple: E,
    instructionHealthcheckMultiple: E,
    instructionJSONInSingleQuotes: E,
    instructionWorkdirRelative: E,
  };
  const problems = validate(read('Dockerfile'), rules).map(
    (d) => `line ${d.range.start.line + 1}: ${d.message}`,
  );
  assert.deepEqual(problems, []);
  // The linter is on: the same rules find what a broken Dockerfile gets wrong.
  const broken = validate(
    "FROM node:22-slim\ncmd ['node']\nCMD node\nWORKDIR app\nHEALTHCHECK CMD x\nHEALTHCHECK CMD y\n",
    rules,
  );
  assert.equal(broken.length, 5, JSON.stringify(broken.map((d) => d.message)));
});

test('Dockerfile: stages, sources, user, start command and health check match the repository', () => {
  const ins = dockerfile();
  const froms = ins.filter((i) => i.op === 'FROM');
  assert.equal(froms.length, 2, 'a build stage and a runtime stage');
  const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(read('Dockerfile'))?.[1];
  assert.ok(image, 'the Node image is one ARG, shared by both stages');
  const major = Number(/^node:(\d+)-\S*slim$/.exec(image)?.[1]);
  assert.ok(major >= 22, `a slim Node image with a pinned major of at least 22 (got ${image})`);
  for (const f of froms) assert.match(f.args, /^\$\{NODE_IMAGE\}\s+AS\s+\w+$/i);
  const runtime = froms.at(-1)!.args.split(/\s+/).at(-1)!;

  // Every COPY from the context names something that exists and is not ignored.
  for (const c of ins.filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))) {
    const parts = c.args.split(/\s+/).filter((a) => !a.startsWith('--'));
    for (const src of parts.slice(0, -1)) {
      assert.ok(existsSync(join(root, src)), `COPY source ${src} exists`);
      if (src !== '.') assert.equal(dockerIgnored(src), false, `COPY source ${src} is not ignored`);
    }
  }
  const copyFrom = ins.filter((i) => i.op === 'COPY' && /--from=/.test(i.args));
  for (const c of copyFrom) {
    const stage = /--from=(\S+)/.exec(c.args)![1];
    assert.ok(
      froms.some((f) => new RegExp(`AS\\s+${stage}$`, 'i').test(f.args)),
      `COPY --from=${stage} names a stage`,
    );
  }

  // The build compiles, prunes dev dependencies, and proves start.mjs will not need to compile.
  const buildRuns = ins.filter((i) => i.op === 'RUN' && i.stage !== runtime).map((i) => i.args);
  const run = buildRuns.join('\n');
  assert.match(run, /npm ci\b/);
  assert.match(run, /npm run build\b/);
  assert.match(run, /npm prune --omit=dev|npm ci --omit=dev/);
  assert.ok(run.indexOf('npm run build') < run.indexOf('--omit=dev'), 'dev dependencies go after the build');
  const staleCheck = ins.filter((i) => i.op === 'RUN' && /stalePackages/.test(i.args));
  assert.ok(
    staleCheck.some((i) => i.stage === runtime),
    'the runtime stage checks dist/ is fresh',
  );
  assert.match(read('scripts/build.mjs'), /export function stalePackages\(/);
  assert.match(read('scripts/start.mjs'), /stalePackages\(\)/, 'start.mjs compiles only what is stale');
  const pkg = JSON.parse(read('package.json')) as {
    dependencies: Record<string, string>;
    scripts: Record<string, string>;
  };
  assert.ok(pkg.dependencies.esbuild, 'esbuild is a runtime dependency, kept by the prune');

  // Runs as a user other than root, from WORKDIR, with the data directory on a volume.
  const rt = ins.filter((i) => i.stage === runtime);
  const user = rt.filter((i) => i.op === 'USER').at(-1)?.args;
  assert.ok(user && !/^(root|0)(:|$)/.test(user), `runs as a non-root user (got ${user})`);
  assert.ok(rt.some((i) => i.op === 'WORKDIR'));
  const env = Object.fromEntries(rt.filter((i) => i.op === 'ENV').flatMap((i) => envPairs(i.args)));
  for (const key of Object.keys(env)) assert.ok(known.has(key), `ENV ${key} is a variable config.ts reads`);
  const config = loadConfig(env);
  assert.equal(config.NODE_ENV, 'production');
  assert.equal(config.HOST, '0.0.0.0', 'HTTP listens on every interface in a container');
  assert.equal(config.SIP_HOST, '0.0.0.0');
  assert.equal(config.AUDIOSOCKET_HOST, '0.0.0.0');
  const volume = rt.find((i) => i.op === 'VOLUME')?.args ?? '';
  assert.ok(volume.includes(config.DATA_DIR), `DATA_DIR (${config.DATA_DIR}) is a volume`);

  // EXPOSE matches the ports the configuration listens on.
  const exposed = new Set(rt.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)));
  const expected = [
    `${config.PORT}/tcp`,
    `${config.SIP_PORT}/udp`,
    `${config.SIP_PORT}/tcp`,
    `${config.AUDIOSOCKET_PORT}/tcp`,
    `${config.RTP_PORT_MIN}-${config.RTP_PORT_MAX}/udp`,
  ];
  assert.deepEqual([...exposed].sort(), expected.sort());
  for (const key of ['PORT', 'SIP_PORT', 'AUDIOSOCKET_PORT', 'RTP_PORT_MIN', 'RTP_PORT_MAX'] as const) {
    assert.equal(config[key], defaults[key], `${key} in the image is the platform's default`);
  }

  // CMD is the production start, run by node itself so SIGTERM reaches the platform.
  const cmd = JSON.parse(rt.find((i) => i.op === 'CMD')!.args) as string[];
  assert.deepEqual(cmd, pkg.scripts.start!.replace(/^exec\s+/, '').split(/\s+/), 'CMD is `npm start`');
  assert.ok(existsSync(join(root, cmd[2]!)), `${cmd[2]} exists`);
  assert.match(read('scripts/start.mjs'), /await import\(platformBundle\)/);
  assert.match(read('scripts/build.mjs'), /entryPoints: \{ platform: join\(cliDir, 'dist', 'main\.js'\) \}/);

  // HEALTHCHECK: node (no curl in the image) against a real, public route.
  const hc = rt.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
  const hcCmd = JSON.parse(/CMD\s+(\[.*\])$/.exec(hc)?.[1] ?? 'null') as string[] | null;
  assert.ok(hcCmd, 'HEALTHCHECK uses the exec form');
  assert.deepEqual(hcCmd.slice(0, 2), ['node', '-e']);
  assert.match(hcCmd[2]!, /\/health\/live/);
  assert.doesNotMatch(hc, /curl|wget/);
  const health = read('packages/server/src/routes/health.ts');
  assert.match(health, /app\.get\(\s*'\/health\/live',\s*\{\s*config: \{ auth: 'public'/);
  assert.match(health, /app\.get\(\s*'\/health\/ready',\s*\{\s*config: \{ auth: 'public'/);
});

// --- compose.yaml ----------------------------------------------------------------------------

/** Variables compose itself interpolates that are not the platform's: each is documented there. */
const COMPOSE_ONLY = new Set(['POSTGRES_PASSWORD', 'PUBLIC_URL_1', 'PUBLIC_URL_2']);

/** Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} interpolation, with the values given. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (all, name, op, rest) => {
    if (all === '$$') return '$$';
    const v = vars[name];
    if (v !== undefined && v !== '') return v;
    if (op === ':-' || op === '-') return rest;
    if (op === ':?' || op === '?') throw new Error(`${name}: ${rest}`);
    return '';
  });
}

const secrets = {
  MASTER_KEY: 'a'.repeat(64),
  INTERNAL_TOKEN: 'internal-token-for-the-compose-check',
};

function compose(vars: Record<string, string> = secrets): Obj {
  return obj(parse(interpolate(read('compose.yaml'), vars), { merge: true }), 'compose.yaml');
}

/** Published ports as {host, container, protocol}, ranges expanded. */
function published(service: Obj): { host: number; container: number; protocol: string }[] {
  const out: { host: number; container: number; protocol: string }[] = [];
  for (const spec of (service.ports ?? []) as string[]) {
    const m = /^(?:[\d.]+:)?(\d+)(?:-(\d+))?:(\d+)(?:-(\d+))?(?:\/(udp|tcp))?$/.exec(String(spec));
    assert.ok(m, `port ${spec} in the short form host:container[/proto]`);
    const [h0, h1, c0, c1] = [m[1], m[2] ?? m[1], m[3], m[4] ?? m[3]].map(Number) as [
      number,
      number,
      number,
      number,
    ];
    assert.equal(h1 - h0, c1 - c0, `${spec}: ranges of the same length`);
    for (let i = 0; i <= h1 - h0; i++) out.push({ host: h0 + i, container: c0 + i, protocol: m[5] ?? 'tcp' });
  }
  return out;
}

test('compose.yaml: refers only to variables the platform reads, and refuses to start without the shared secrets', () => {
  const text = read('compose.yaml');
  const referenced = new Set([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!));
  for (const name of referenced) {
    assert.ok(known.has(name) || COMPOSE_ONLY.has(name), `\${${name}} is a platform variable`);
  }
  for (const name of COMPOSE_ONLY) assert.ok(referenced.has(name), `${name} is still used`);
  assert.throws(() => compose({}), /MASTER_KEY/);
  assert.throws(() => compose({ MASTER_KEY: secrets.MASTER_KEY }), /INTERNAL_TOKEN/);
});

test('compose.yaml: two platform processes, health-checked start order, ports that do not collide', () => {
  const file = compose();
  const services = obj(file.services, 'services');
  const platform = Object.entries(services).filter(([, s]) =>
    String(obj(s, 'service').image).startsWith('switchboard'),
  );
  assert.equal(platform.length, 2, 'two platform processes');
  for (const s of ['postgres', 'redis', 'mosquitto']) assert.ok(services[s], `${s} service`);

  const taken = new Map<string, string>();
  for (const [name, raw] of platform) {
    const s = obj(raw, name);
    const env = Object.fromEntries(
      Object.entries(obj(s.environment, `${name}.environment`)).map(([k, v]) => [k, String(v)]),
    );
    for (const key of Object.keys(env)) assert.ok(known.has(key), `${name}: ${key} is a platform variable`);
    const config = loadConfig(env);
    assert.equal(config.HOST, '0.0.0.0');
    assert.equal(config.SIP_HOST, '0.0.0.0');
    assert.ok(config.DATABASE_URL && config.REDIS_URL && config.MQTT_URL, `${name} uses the shared services`);
    for (const host of [config.DATABASE_URL, config.REDIS_URL, config.MQTT_URL].map(
      (u) => new URL(u!).hostname,
    )) {
      assert.ok(services[host], `${name} reaches ${host}, a service of this file`);
    }

    // Every dependency is waited for until healthy, and has a health check to wait on.
    const deps = obj(s.depends_on, `${name}.depends_on`);
    assert.deepEqual(Object.keys(deps).sort(), ['mosquitto', 'postgres', 'redis']);
    for (const [dep, cond] of Object.entries(deps)) {
      assert.equal(obj(cond, dep).condition, 'service_healthy', `${name} waits for ${dep} to be healthy`);
      assert.ok(obj(services[dep], dep).healthcheck, `${dep} has a health check`);
    }

    // SIP and RTP ports travel inside the messages, so they are published 1:1 and match the config.
    const ports = published(s);
    const has = (port: number, protocol: string) =>
      ports.some((p) => p.container === port && p.protocol === protocol);
    assert.ok(has(config.PORT, 'tcp'), `${name} publishes HTTP`);
    for (const proto of config.SIP_TRANSPORTS) assert.ok(has(config.SIP_PORT, proto), `${name} SIP/${proto}`);
    assert.ok(has(config.AUDIOSOCKET_PORT, 'tcp'), `${name} AudioSocket`);
    for (let p = config.RTP_PORT_MIN; p <= config.RTP_PORT_MAX; p++)
      assert.ok(has(p, 'udp'), `${name} RTP ${p}`);
    for (const p of ports) {
      if (p.container !== config.PORT)
        assert.equal(p.host, p.container, `${name}: ${p.container} published 1:1`);
      const key = `${p.host}/${p.protocol}`;
      assert.equal(
        taken.get(key),
        undefined,
        `host port ${key} is published by ${taken.get(key)} and ${name}`,
      );
      taken.set(key, name);
    }

    // docker stop waits longer than the platform's own drain.
    const grace = /^(\d+)s$/.exec(String(s.stop_grace_period))?.[1];
    assert.ok(grace && Number(grace) * 1000 > config.SHUTDOWN_GRACE_MS + config.SHUTDOWN_HANGUP_MS);
    assert.equal(s.build, '.', 'built from the repository root');
  }
});

// --- Helm chart ------------------------------------------------------------------------------

const chartDir = 'deploy/helm/switchboard';
const templates = () =>
  readdirSync(join(root, chartDir, 'templates')).map((f) => ({
    name: f,
    text: read(`${chartDir}/templates/${f}`),
  }));
const values = () => obj(parse(read(`${chartDir}/values.yaml`)), 'values.yaml');

test('Helm chart: config and secrets mirror the platform variables, and the defaults are valid', () => {
  const chart = obj(parse(read(`${chartDir}/Chart.yaml`)), 'Chart.yaml');
  assert.equal(chart.apiVersion, 'v2');
  assert.equal(chart.name, 'switchboard');
  assert.equal(chart.appVersion, (JSON.parse(read('package.json')) as { version: string }).version);

  const v = values();
  const config = obj(v.config, 'config');
  const secret = obj(v.secrets, 'secrets');
  const keys = [...Object.keys(config), ...Object.keys(secret)];
  assert.deepEqual([...keys].sort(), [...known].sort(), 'config + secrets name every variable once');
  for (const k of Object.keys(secret)) assert.ok(!(k in config), `${k} is only in secrets`);
  for (const k of keys.filter(
    (k) => /PASSWORD|TOKEN|MASTER_KEY|_URL$/.test(k) && !/API_URL|PUBLIC_URL|ARI_URL/.test(k),
  )) {
    assert.ok(k in secret, `${k} is a secret`);
  }
  // What the ConfigMap carries (non-empty values) plus the required secrets is a valid configuration.
  const env: Record<string, string> = {};
  for (const [k, val] of Object.entries(config)) if (String(val) !== '') env[k] = String(val);
  const parsed = loadConfig({
    ...env,
    ...secrets,
    DATABASE_URL: 'postgres://switchboard:secret@postgres:5432/switchboard',
  });
  assert.equal(parsed.HOST, '0.0.0.0');
  assert.equal(parsed.NODE_ENV, 'production');

  // Kubernetes kills a pod after terminationGracePeriodSeconds, preStop included: it must outlast the drain.
  const drain = Math.ceil((parsed.SHUTDOWN_GRACE_MS + parsed.SHUTDOWN_HANGUP_MS) / 1000);
  assert.ok(
    Number(v.terminationGracePeriodSeconds) > Number(v.preStopSeconds) + drain,
    `terminationGracePeriodSeconds must exceed preStopSeconds + ${drain}`,
  );
  assert.ok(parsed.SHUTDOWN_GRACE_MS + parsed.SHUTDOWN_HANGUP_MS >= drainMs, 'no shorter than the defaults');
});

test('Helm chart: templates refer only to values that exist, helpers that are defined, routes and metrics that exist', () => {
  const v = values();
  const all = templates();
  const text = all.map((t) => t.text).join('\n');
  assert.deepEqual(all.map((t) => t.name).sort(), [
    '_helpers.tpl',
    'configmap.yaml',
    'deployment.yaml',
    'hpa.yaml',
    'pdb.yaml',
    'secret.yaml',
    'service.yaml',
    'serviceaccount.yaml',
  ]);

  // Every .Values.a.b path resolves in values.yaml.
  for (const [, path] of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
    let node: unknown = v;
    for (const part of path!.slice(1).split('.')) {
      assert.ok(
        node !== null && typeof node === 'object' && part in (node as Obj),
        `.Values${path} is in values.yaml`,
      );
      node = (node as Obj)[part];
    }
  }
  // $c.X (the config block) names a platform variable kept in config.
  const config = obj(v.config, 'config');
  for (const [, key] of text.matchAll(/\$c\.([A-Z_][A-Z0-9_]*)/g)) assert.ok(key! in config, `config.${key}`);

  // include/template names are defined; every {{ has its }}.
  const defined = new Set([...text.matchAll(/define "([^"]+)"/g)].map((m) => m[1]));
  for (const [, name] of text.matchAll(/(?:include|template) "([^"]+)"/g)) assert.ok(defined.has(name), name);
  for (const t of all) {
    assert.equal(t.text.split('{{').length, t.text.split('}}').length, `${t.name}: balanced {{ }}`);
    const opens = [...t.text.matchAll(/\{\{-?\s*(if|range|with|define)\b/g)].length;
    const ends = [...t.text.matchAll(/\{\{-?\s*end\s*-?\}\}/g)].length;
    assert.equal(opens, ends, `${t.name}: every if/range/with/define has its end`);
  }

  const deployment = all.find((t) => t.name === 'deployment.yaml')!.text;
  assert.match(deployment, /livenessProbe:\s*\n\s*httpGet:\s*\n\s*path: \/health\/live/);
  assert.match(deployment, /readinessProbe:\s*\n\s*httpGet:\s*\n\s*path: \/health\/ready/);
  assert.match(deployment, /preStop:/);
  assert.match(
    deployment,
    /terminationGracePeriodSeconds: \{\{ \.Values\.terminationGracePeriodSeconds \}\}/,
  );
  assert.match(
    deployment,
    /fail \(printf "terminationGracePeriodSeconds/,
    'the chart refuses a too-short grace',
  );

  const hpa = all.find((t) => t.name === 'hpa.yaml')!.text;
  const metric = /metric:\s*\n\s*name: (\S+)/.exec(hpa)?.[1];
  assert.equal(metric, 'switchboard_calls_active');
  assert.match(read('packages/server/src/plugins/platform-metrics.ts'), new RegExp(`name: '${metric}'`));
});
