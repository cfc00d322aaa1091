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

interface QueryErrorLike {
  query: string;
  params: unknown[];
  cause?: unknown;
}

const isQueryError = (e: unknown): e is QueryErrorLike =>
  typeof e === 'object' &&
  e !== null &&
  typeof (e as QueryErrorLike).query === 'string' &&
  Array.isArray((e as QueryErrorLike).params);

/**
 * Errors as pino's standard serializer writes them, minus the values a failed query was bound to:
 * the query layer puts every parameter (phone numbers, variables, ciphertext) into its message,
 * and the database adds the offending values as `detail`. The SQL text and error codes stay.
 */
export function serializeError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const out = pino.stdSerializers.err(e) as unknown as Record<string, unknown>;
  const replacements: [string, string][] = [];
  for (let c: unknown = e, depth = 0; c && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    if (isQueryError(c) && c.params.length > 0) {
      replacements.push([`params: ${c.params}`, `params: [${c.params.length} redacted]`]);
    }
    // The standard serializer keeps a cause's message only; its code (e.g. SQLSTATE) says most.
    const code = (c as { code?: unknown }).code;
    if (out.code === undefined && (typeof code === 'string' || typeof code === 'number')) out.code = code;
  }
  const scrub = (v: unknown) => {
    if (typeof v !== 'string') return v;
    let s = v;
    for (const [from, to] of replacements) s = s.split(from).join(to);
    return s;
  };
  const clean = (o: Record<string, unknown>, depth: number): Record<string, unknown> => {
    const { params: _p, detail: _d, parameters: _q, ...rest } = o;
    rest.message = scrub(rest.message);
    rest.stack = scrub(rest.stack);
    if (rest.cause && typeof rest.cause === 'object' && depth < 8) {
      rest.cause = clean(rest.cause as Record<string, unknown>, depth + 1);
    }
    return rest;
  };
  return clean(out, 0);
}

/**
 * A child logger that binds only what the parent does not already carry, so one line never has
 * the same key twice (pino writes a repeated binding twice into the JSON).
 */
export function bindLogger(logger: Logger, fields: Record<string, unknown>): Logger {
  const bound = logger.bindings();
  const missing = Object.fromEntries(Object.entries(fields).filter(([k, v]) => bound[k] !== v));
  if (Object.keys(missing).length === 0) return logger;
  if (Object.keys(missing).some((k) => k in bound)) {
    // A different value under a bound key: rebinding would repeat the key; keep the parent's.
    for (const k of Object.keys(missing)) if (k in bound) delete missing[k];
    if (Object.keys(missing).length === 0) return logger;
  }
  return logger.child(missing);
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const paths = settings.pii ? SECRET_PATHS : [...SECRET_PATHS, 'pii', '*.pii'];
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    redact: { paths, censor: '[redacted]' },
    base: settings.name ? { name: settings.name } : { name: 'switchboard' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: serializeError, error: serializeError },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that writes nowhere, for tests and tools. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
