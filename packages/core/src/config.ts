import { join } from 'node:path';
import { z } from 'zod';
import { parseHostRule } from './outbound/host-rules.js';

/**
 * Every environment variable Switchboard reads, in one schema. `.env.example` and the README's
 * configuration table list the same names; a test keeps them in step.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const urlWithScheme = (schemes: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return schemes.includes(new URL(v).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `expected a URL with scheme ${schemes.join(' or ')}` },
  );

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PII: bool.default(false),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  PUBLIC_URL: urlWithScheme(['http', 'https']).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Local models (recogniser, voices, VAD) prepared or imported; default DATA_DIR/models. */
  MODELS_DIR: z.string().min(1).optional(),
  DATABASE_URL: urlWithScheme(['postgres', 'postgresql']).optional(),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  REDIS_URL: urlWithScheme(['redis', 'rediss']).optional(),
  MQTT_URL: urlWithScheme(['mqtt', 'mqtts', 'ws', 'wss']).optional(),
  /** OTLP/HTTP collector: traces and metrics of calls (the SDK reads the other OTEL_* variables). */
  OTEL_EXPORTER_OTLP_ENDPOINT: urlWithScheme(['http', 'https']).optional(),
  /** Announce active calls to Home Assistant through MQTT discovery (needs MQTT_URL). */
  MQTT_HA_DISCOVERY: bool.default(false),
  MQTT_HA_DISCOVERY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_/-]{1,100}$/, 'expected a topic prefix such as homeassistant')
    .default('homeassistant'),
  /** Attach a built-in fake Home Assistant (a small demo house) to the first workspace. */
  DEMO_HOME: bool.default(false),
  MASTER_KEY: z
    .string()
    .refine((v) => decodeKey(v) !== null, {
      message: 'expected 32 bytes as 64 hex characters or base64',
    })
    .optional(),
  INTERNAL_TOKEN: z.string().min(24, 'expected at least 24 characters').optional(),
  OWNER_EMAIL: z.email().optional(),
  OWNER_PASSWORD: z.string().min(12, 'expected at least 12 characters').optional(),
  OWNER_WORKSPACE: z.string().min(1).max(100).default('Default'),
  CORS_ORIGINS: csv.default([]),
  RATE_LIMIT_PER_MINUTE: positiveInt.default(600),
  LOGIN_RATE_LIMIT_PER_MINUTE: positiveInt.default(10),
  BODY_LIMIT_BYTES: positiveInt.default(1_048_576),
  /** Largest document uploaded to a knowledge base. */
  KB_MAX_UPLOAD_BYTES: positiveInt.default(20 * 1_048_576),
  SESSION_TTL_HOURS: positiveInt.default(24 * 7),
  AGENT_CONFIG_URL_TIMEOUT_MS: positiveInt.default(1500),
  AGENT_CACHE_TTL_MS: positiveInt.default(60_000),
  /** On SIGTERM: one budget for live calls to finish; what is left is then ended with a goodbye. */
  SHUTDOWN_GRACE_MS: positiveInt.default(30_000),
  /** After the grace: time to hang up the remaining calls and close, before the exit is forced. */
  SHUTDOWN_HANGUP_MS: positiveInt.default(10_000),
  /** How often this process marks its live calls as still running (one statement for all). */
  CALL_HEARTBEAT_MS: positiveInt.default(5_000),
  /** A live call whose heartbeat is older than this belongs to a dead process: it ends as `lost`. */
  CALL_LEASE_TIMEOUT_MS: positiveInt.default(30_000),
  /**
   * Calls one process runs at once (inbound and outbound count alike); beyond it new inbound calls
   * are refused as busy the way each protocol allows. 0 = no cap.
   */
  MAX_CONCURRENT_CALLS: z.coerce.number().int().min(0).default(0),
  SIP_ENABLED: bool.default(true),
  SIP_HOST: z.string().min(1).default('127.0.0.1'),
  SIP_PORT: port.default(5060),
  SIP_TRANSPORTS: csv
    .pipe(z.array(z.enum(['udp', 'tcp'])).min(1, 'expected udp, tcp or both'))
    .default(['udp', 'tcp']),
  SIP_ADVERTISED_ADDRESS: z.string().min(1).optional(),
  RTP_PORT_MIN: port.default(40000),
  RTP_PORT_MAX: port.default(40999),
  SIP_TRUNK_URI: z
    .string()
    .regex(/^sips?:/, 'expected a SIP URI such as sip:trunk.example.net:5060')
    .optional(),
  SIP_TRUNK_USERNAME: z.string().min(1).optional(),
  SIP_TRUNK_PASSWORD: z.string().min(1).optional(),
  AUDIOSOCKET_ENABLED: bool.default(false),
  AUDIOSOCKET_HOST: z.string().min(1).default('127.0.0.1'),
  AUDIOSOCKET_PORT: port.default(5001),
  AUDIOSOCKET_HOOK_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
  AUDIOSOCKET_HOOK_TTL_MS: positiveInt.default(60_000),
  ARI_URL: urlWithScheme(['http', 'https']).optional(),
  ARI_USERNAME: z.string().min(1).optional(),
  ARI_PASSWORD: z.string().min(1).optional(),
  ARI_APP: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'expected a Stasis application name')
    .default('switchboard'),
  EXTERNAL_MEDIA_HOST: z.string().min(1).default('127.0.0.1'),
  EXTERNAL_MEDIA_FORMAT: z.enum(['ulaw', 'slin16']).default('ulaw'),
  /** Dial string for outbound calls through ARI, `{to}` standing for the number; unset: no ARI outbound. */
  ARI_DIAL_ENDPOINT: z
    .string()
    .regex(/\{to\}/, 'expected a dial string containing {to}, e.g. PJSIP/{to}@trunk')
    .optional(),
  /** Carrier REST API base URLs; unset means the carrier's own (set them for a regional edge or a test double). */
  TWILIO_API_URL: urlWithScheme(['http', 'https']).optional(),
  PLIVO_API_URL: urlWithScheme(['http', 'https']).optional(),
  TELNYX_API_URL: urlWithScheme(['http', 'https']).optional(),
  /** Vapi's REST API, for workspaces that run agents on Vapi (set it for a test double). */
  VAPI_API_URL: urlWithScheme(['http', 'https']).default('https://api.vapi.ai'),
  /**
   * Requests a workspace user can aim (provider endpoints, webhooks, config URLs, HTTP tools) never
   * go to loopback, private, link-local or other non-public addresses unless one of these allows it.
   */
  OUTBOUND_ALLOW_PRIVATE_NETWORKS: bool.default(false),
  OUTBOUND_ALLOWED_HOSTS: csv
    .pipe(
      z.array(z.string()).superRefine((rules, ctx) => {
        for (const r of rules) {
          const parsed = parseHostRule(r);
          if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: `"${r}" ${parsed}` });
        }
      }),
    )
    .default([]),
  /** How long an outbound carrier call may ring before it counts as no-answer. */
  OUTBOUND_RING_TIMEOUT_SECONDS: positiveInt.default(30),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** Base URL clients use to reach this instance (webhooks, recording links, talk page). */
  publicUrl: string;
  /** `MODELS_DIR`, or `DATA_DIR/models`. */
  modelsDir: string;
}

export class ConfigError extends Error {
  readonly issues: { variable: string; message: string }[];
  constructor(issues: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}\n` +
        'See .env.example for every variable and its expected form.',
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Parses the environment. Empty strings count as unset, as in most .env tooling. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({
        variable: String(i.path[0] ?? '(environment)'),
        message: `${i.message}${input[String(i.path[0])] !== undefined ? ` (got "${redactValue(String(i.path[0]), input[String(i.path[0])]!)}")` : ''}`,
      })),
    );
  }
  const e = parsed.data;
  if ((e.OWNER_EMAIL === undefined) !== (e.OWNER_PASSWORD === undefined)) {
    throw new ConfigError([
      {
        variable: e.OWNER_EMAIL === undefined ? 'OWNER_EMAIL' : 'OWNER_PASSWORD',
        message: 'OWNER_EMAIL and OWNER_PASSWORD must be set together',
      },
    ]);
  }
  if (e.RTP_PORT_MIN > e.RTP_PORT_MAX) {
    throw new ConfigError([{ variable: 'RTP_PORT_MIN', message: 'must not be above RTP_PORT_MAX' }]);
  }
  const host = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  return {
    ...e,
    publicUrl: (e.PUBLIC_URL ?? `http://${host}:${e.PORT}`).replace(/\/$/, ''),
    modelsDir: e.MODELS_DIR ?? join(e.DATA_DIR, 'models'),
  };
}

const SECRET_VARS = new Set([
  'AUDIOSOCKET_HOOK_TOKEN',
  'ARI_PASSWORD',
  'MASTER_KEY',
  'INTERNAL_TOKEN',
  'OWNER_PASSWORD',
  'DATABASE_URL',
  'REDIS_URL',
  'MQTT_URL',
]);
function redactValue(variable: string, value: string): string {
  return SECRET_VARS.has(variable) ? '***' : value;
}

/** Accepts a 32-byte key as hex or base64; returns null when it is neither. */
export function decodeKey(value: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(value)) {
    const b = Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
    if (b.length === 32) return b;
  }
  return null;
}
