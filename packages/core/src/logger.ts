import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths removed from every log line. Secrets are never logged; personal data (phone numbers,
 * transcripts, emails) goes under a `pii` field, which is redacted unless LOG_PII=true.
 */
export const SECRET_PATHS = [
  'password',
  'secret',
  'token',
  'apiKey',
  'key',
  'value',
  'authorization',
  'cookie',
  '*.password',
  '*.secret',
  '*.token',
  '*.apiKey',
  '*.value',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-internal-token"]',
  'res.headers["set-cookie"]',
  'body.value',
  'body.password',
];

export interface LoggerSettings {
  level?: string;
  pii?: boolean;
  destination?: DestinationStream;
  name?: string;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const paths = settings.pii ? SECRET_PATHS : [...SECRET_PATHS, 'pii', '*.pii'];
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    redact: { paths, censor: '[redacted]' },
    base: settings.name ? { name: settings.name } : { name: 'switchboard' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that writes nowhere, for tests and tools. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
