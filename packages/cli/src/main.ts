import { parseArgs } from 'node:util';
import { ConfigError, createLogger, loadConfig } from '@switchboard/core';
import { openDatabase } from '@switchboard/store';
import { campaignCommand } from './campaign.js';
import { chatCommand } from './chat.js';
import { loadDotEnv, VERSION } from './cli-env.js';
import { doctorCommand } from './doctor.js';
import { modelsCommand } from './models.js';
import { OBJECT_COMMANDS, objectsCommand } from './objects.js';
import { start } from './start.js';

const USAGE = `Usage: switchboard <command> [options]

Commands:
  start      run the platform (API, docs, connectors) on the configured database
  migrate    apply database migrations and exit
  doctor     check this machine (Node.js, ports, database, voice stack, services) and say how to fix each
  campaign   import <file.csv>: add contacts to a campaign through the API
  chat       <agent id>: talk to an agent in text (same model and tools as a call)
  models     list, prepare, import <dir|tar>, export <file>: the local models (recogniser, voices,
             VAD) in MODELS_DIR, for installs without internet
  agents, numbers, calls, keys, providers, credentials, webhooks, campaigns
             list, get, create, update, delete (and publish, test, pause…) through the API
  help       show this text

Every command takes --help; switchboard --version prints the version.
Configuration comes from the environment and ./.env; see .env.example.`;

/** What `<command> --help` prints, for the commands whose own parser does not. */
const COMMAND_HELP: Record<string, string> = {
  start: `Usage: switchboard start

Runs the whole platform: the API and its docs, built-in SIP, carrier webhooks
and media sockets, the dialer and webhook delivery. Settings come from the environment and ./.env
(see .env.example); with no DATABASE_URL it uses the embedded database in DATA_DIR (./data).`,
  migrate: `Usage: switchboard migrate

Applies the database migrations (DATABASE_URL, or the embedded database in DATA_DIR) and exits.
start applies them too; run this to migrate ahead of a rolling upgrade.`,
  doctor: `Usage: switchboard doctor

Checks Node.js, the configuration, the HTTP and SIP ports, the database, the offline voice stack
and any configured Redis or MQTT broker, and prints how to fix each problem. Exits 1 when
something must be fixed before npm start.`,
};

async function main(argv: string[]): Promise<number> {
  loadDotEnv();
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
  });
  const command = positionals[0] ?? (values.version ? 'version' : 'help');
  if (command === 'version' || (values.version && !positionals[0])) {
    process.stdout.write(`switchboard ${VERSION}\n`);
    return 0;
  }
  if (command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.help) {
    const help = COMMAND_HELP[command];
    if (help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
  }
  // API clients and checks: they need no server configuration of their own.
  if (command === 'campaign') return campaignCommand(argv.slice(1));
  if (command === 'chat') return chatCommand(argv.slice(1));
  if (command === 'doctor') return doctorCommand();
  if (command === 'models') return modelsCommand(argv.slice(1));
  if (OBJECT_COMMANDS.includes(command)) return objectsCommand(command, argv.slice(1));
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 78; // EX_CONFIG
    }
    throw e;
  }
  const logger = createLogger({ level: config.LOG_LEVEL, pii: config.LOG_PII });

  if (command === 'migrate') {
    const db = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, logger });
    try {
      await db.migrate();
      const s = await db.migrationState();
      process.stdout.write(`migrations applied: ${s.applied}/${s.expected} (${db.kind})\n`);
    } finally {
      await db.close();
    }
    return 0;
  }

  if (command === 'start') {
    const running = await start(config, logger);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      // Out of rotation at once; live calls get the grace, then a goodbye; the exit is forced only
      // after the grace and the hang-up allowance together.
      running.drain();
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        logger.error('shutdown took too long; exiting');
        process.exit(1);
      }, config.SHUTDOWN_GRACE_MS + config.SHUTDOWN_HANGUP_MS);
      force.unref();
      running.stop().then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    return -1; // keep running
  }

  process.stderr.write(`unknown command: ${command}\n\n${USAGE}\n`);
  return 64; // EX_USAGE
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
