import { parseArgs } from 'node:util';
import { ConfigError, createLogger, loadConfig } from '@switchboard/core';
import { openDatabase } from '@switchboard/store';
import { campaignCommand } from './campaign.js';
import { chatCommand } from './chat.js';
import { start } from './start.js';

const USAGE = `Usage: switchboard <command>

Commands:
  start      run the platform (API, docs, connectors) on the configured database
  migrate    apply database migrations and exit
  campaign   import <file.csv>: add contacts to a campaign through the API
  chat       <agent id>: talk to an agent in text (same model and tools as a call)
  help       show this text

Configuration comes from the environment; see .env.example.`;

async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false });
  const command = positionals[0] ?? 'help';
  if (command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // An API client: needs no server configuration.
  if (command === 'campaign') return campaignCommand(argv.slice(1));
  if (command === 'chat') return chatCommand(argv.slice(1));
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
