import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { AppDeps } from './deps.js';
import { webhookDocs } from './openapi-webhooks.js';
import { registerAuth } from './plugins/auth.js';
import { registerErrorHandling } from './plugins/errors.js';
import { registerInputGuard } from './plugins/input-guard.js';
import { registerMetrics } from './plugins/metrics.js';
import { agentRoutes } from './routes/agents.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { authRoutes } from './routes/auth.js';
import { callControlRoutes } from './routes/call-control.js';
import { callResultRoutes } from './routes/call-results.js';
import { callerIdPoolRoutes } from './routes/caller-id-pools.js';
import { callRoutes } from './routes/calls.js';
import { campaignRoutes } from './routes/campaigns.js';
import { credentialRoutes } from './routes/credentials.js';
import { dialerLimitRoutes } from './routes/dialer-limits.js';
import { healthRoutes } from './routes/health.js';
import { homeAssistantRoutes } from './routes/home-assistant.js';
import { homeSyncRoutes } from './routes/home-sync.js';
import { internalRoutes } from './routes/internal.js';
import { knowledgeBaseRoutes } from './routes/knowledge-bases.js';
import { knowledgeCrawlRoutes } from './routes/knowledge-crawl.js';
import { outboundCallRoutes } from './routes/outbound-calls.js';
import { phoneNumberRoutes } from './routes/phone-numbers.js';
import { providerTestRoutes } from './routes/provider-test.js';
import { providerRoutes } from './routes/providers.js';
import { retentionRoutes } from './routes/retention.js';
import { talkRoutes } from './routes/talk.js';
import { vapiRoutes } from './routes/vapi.js';
import { vapiEventRoutes } from './routes/vapi-events.js';
import { webhookRoutes } from './routes/webhooks.js';
import { workspaceRoutes } from './routes/workspaces.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, for tests that must cover them all. */
    routeTable: { method: string; url: string; auth: string }[];
  }
}

export const API_VERSION = '0.1.0';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BuildOptions {
  /** Shared rate-limit counters for several processes. */
  redis?: Redis;
  /** Extra route plugins (connectors, dashboard) registered by the composition root. */
  plugins?: ((app: FastifyInstance) => Promise<void> | void)[];
}

/** Builds the HTTP app; `server.ts`/the CLI only boots it. Tests call `app.inject()`. */
export async function buildApp(deps: AppDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
  });
  const routeTable: { method: string; url: string; auth: string }[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (r) => {
    // The interactive docs and their assets are public, like the spec they render.
    if (r.url === '/docs' || r.url.startsWith('/docs/')) r.config = { ...r.config, auth: 'public' };
    // The document says which operations need no credentials, and which take the internal token.
    const auth = r.config?.auth;
    if (auth === 'public') r.schema = { ...r.schema, security: [] };
    if (auth === 'internal') r.schema = { ...r.schema, security: [{ internal: [] }] };
    for (const method of [r.method].flat()) {
      if (method !== 'HEAD') routeTable.push({ method, url: r.url, auth: r.config?.auth ?? 'user' });
    }
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  registerErrorHandling(app);
  registerInputGuard(app);
  await app.register(helmet, {
    // The API docs page loads its own scripts and styles from this origin only.
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
      },
    },
  });
  await app.register(cors, {
    origin: config.CORS_ORIGINS.length > 0 ? config.CORS_ORIGINS : false,
    credentials: true,
    exposedHeaders: ['x-request-id'],
  });
  await app.register(cookie);
  // One WebSocket server for every connector that streams media (browser, Twilio, Plivo, …).
  await app.register(websocket, { options: { maxPayload: 1 << 20 } });
  await app.register(rateLimit, {
    global: true,
    max: config.RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    ...(options.redis
      ? { redis: options.redis, nameSpace: 'switchboard:ratelimit:', skipOnError: true }
      : {}),
    keyGenerator: (req) => {
      const auth = req.headers.authorization;
      return auth ? `key:${auth.slice(-16)}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: {
        code: 'rate_limited',
        message: `rate limit exceeded; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
        details: [],
      },
    }),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchboard API',
        version: API_VERSION,
        description:
          'Configure workspaces, credentials, providers, agents and phone numbers, and read calls. ' +
          'Errors always have the shape `{ "error": { "code", "message", "details": [{ "path", "message" }] } }`.',
      },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `sb_…`' },
          session: { type: 'apiKey', in: 'cookie', name: 'sb_session' },
          internal: { type: 'apiKey', in: 'header', name: 'x-internal-token' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
      webhooks: webhookDocs(),
    } as Record<string, unknown>,
    transform: createJsonSchemaTransform({ skipList: ['/docs', '/docs/*', '/openapi.json'] }),
    transformObject: createJsonSchemaTransformObject({}),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true } });
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());

  registerAuth(app, {
    store: deps.store,
    internalToken: deps.internalToken,
    trustedOrigins: [new URL(config.publicUrl).origin, ...config.CORS_ORIGINS],
  });
  registerMetrics(app, deps.metrics);

  await app.register(healthRoutes(deps));
  await app.register(
    async (v1) => {
      await v1.register(authRoutes(deps));
      await v1.register(workspaceRoutes(deps));
      await v1.register(apiKeyRoutes(deps));
      await v1.register(credentialRoutes(deps));
      await v1.register(providerRoutes(deps));
      await v1.register(providerTestRoutes(deps));
      await v1.register(agentRoutes(deps));
      await v1.register(phoneNumberRoutes(deps));
      await v1.register(knowledgeBaseRoutes(deps));
      await v1.register(knowledgeCrawlRoutes(deps));
      await v1.register(callRoutes(deps));
      await v1.register(outboundCallRoutes(deps));
      await v1.register(callControlRoutes(deps));
      await v1.register(campaignRoutes(deps));
      await v1.register(callerIdPoolRoutes(deps));
      await v1.register(dialerLimitRoutes(deps));
      await v1.register(callResultRoutes(deps));
      await v1.register(webhookRoutes(deps));
      await v1.register(homeAssistantRoutes(deps));
      await v1.register(retentionRoutes(deps));
      await v1.register(vapiRoutes(deps));
      await v1.register(vapiEventRoutes(deps));
      if (deps.calls) await v1.register(talkRoutes(deps, deps.calls));
    },
    { prefix: '/v1' },
  );
  await app.register(internalRoutes(deps), { prefix: '/internal' });
  await app.register(homeSyncRoutes(deps), { prefix: '/internal' });
  for (const plugin of options.plugins ?? []) await app.register(async (scope) => plugin(scope));
  return app;
}
