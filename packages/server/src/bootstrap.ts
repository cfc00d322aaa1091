import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, type Logger, randomToken } from '@switchboard/core';
import { hashToken, type Store } from '@switchboard/store';
import { SETUP_TOKEN_KEY } from './routes/auth.js';

/** INTERNAL_TOKEN, or one generated once into the data directory (0600) for a single host. */
export function loadInternalToken(config: Config): string {
  if (config.INTERNAL_TOKEN) return config.INTERNAL_TOKEN;
  const file = join(config.DATA_DIR, 'internal.token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.DATA_DIR, { recursive: true });
  const token = randomToken(32);
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return token;
}

export interface BootstrapResult {
  workspaceId: string;
  /** Set on a first start without OWNER_EMAIL: print it once, it creates the first owner. */
  setupToken?: string;
  demoAgentId?: string;
  createdOwner?: boolean;
}

/**
 * First start: there are no default credentials. The first owner comes from OWNER_EMAIL and
 * OWNER_PASSWORD, or from a one-time setup token that is printed and stored only as a hash.
 */
export async function bootstrap(store: Store, config: Config, logger: Logger): Promise<BootstrapResult> {
  let workspace = await store.accounts.firstWorkspace();
  if (!workspace) workspace = await store.accounts.createWorkspace(config.OWNER_WORKSPACE);
  const result: BootstrapResult = { workspaceId: workspace.id };

  const owners = await store.accounts.countOwners(workspace.id);
  if (owners === 0) {
    if (config.OWNER_EMAIL && config.OWNER_PASSWORD) {
      await store.accounts.addMember(workspace.id, {
        email: config.OWNER_EMAIL,
        password: config.OWNER_PASSWORD,
        role: 'owner',
      });
      result.createdOwner = true;
      logger.info({ workspaceId: workspace.id }, 'created the first owner from OWNER_EMAIL');
    } else {
      const token = randomToken(24);
      await store.settings.set(SETUP_TOKEN_KEY, hashToken(token));
      result.setupToken = token;
    }
  }

  if (!(await store.settings.get<boolean>('demo_seeded'))) {
    const demo = await seedDemoAgent(store, workspace.id);
    await store.settings.set('demo_seeded', true);
    result.demoAgentId = demo;
  }
  return result;
}

/** A working agent on the offline stack, so a newcomer can talk to something right away. */
async function seedDemoAgent(store: Store, workspaceId: string): Promise<string> {
  const existing = await store.agents.list(workspaceId, { name: 'Demo receptionist' });
  if (existing.data[0]) return existing.data[0].id;
  const agent = await store.agents.create(workspaceId, {
    name: 'Demo receptionist',
    description: 'Answers common questions with the offline voice stack. No API keys needed.',
    defaultInbound: true,
    publish: true,
    config: {
      mode: 'cascaded',
      // Every provider runs in process from npm packages: a fresh machine takes voice calls.
      // local:pocketsphinx (Debian's) scored lower on phone audio (docs/offline-voice.md).
      providers: { asr: ['local:soundswallower'], llm: ['local:answerer'], tts: ['local:espeak'] },
      greeting: 'Hello, thanks for calling Switchboard. How can I help you?',
      systemPrompt: 'You are the receptionist of a small restaurant. Answer briefly.',
      expectedPhrases: [
        'what are your opening hours',
        'where are you located',
        'i would like to book a table',
        'can i speak to a manager',
        'goodbye',
      ],
      knowledge: {
        faq: [
          {
            question: 'What are your opening hours?',
            answer: 'We are open every day from nine in the morning until ten at night.',
            keywords: ['hours', 'open', 'opening', 'close'],
          },
          {
            question: 'Where are you located?',
            answer: 'We are at one hundred Main Street, next to the train station.',
            keywords: ['where', 'located', 'address', 'location'],
          },
          {
            question: 'I would like to book a table.',
            answer: 'Happy to help. For how many people, and at what time?',
            keywords: ['book', 'table', 'reservation', 'reserve'],
          },
        ],
        fallbackAnswer: 'Sorry, I can answer questions about our opening hours, location and bookings.',
      },
      tools: [{ type: 'end_call' }],
      goodbyeMessage: 'Thank you for calling. Goodbye!',
    },
  });
  // `sip:demo@<host>` reaches it on the built-in SIP endpoint.
  await store.phoneNumbers
    .create(workspaceId, { number: 'demo', connector: 'sip', agentId: agent.id, label: 'Demo receptionist' })
    .catch(() => {});
  return agent.id;
}
