import { join } from 'node:path';
import type { Logger } from '@switchboard/core';
import { type Database, type OpenOptions, openDatabase } from './database.js';
import { AccountsRepo } from './repos/accounts.js';
import { AgentsRepo } from './repos/agents.js';
import { ApiKeysRepo } from './repos/api-keys.js';
import { CallsRepo } from './repos/calls.js';
import { CredentialsRepo } from './repos/credentials.js';
import { HomeRepo } from './repos/home.js';
import { KnowledgeRepo } from './repos/knowledge.js';
import { PhoneNumbersRepo } from './repos/phone-numbers.js';
import { ProvidersRepo } from './repos/providers.js';
import { RetentionRepo } from './repos/retention.js';
import { SettingsRepo } from './repos/settings.js';
import { VapiRepo } from './repos/vapi.js';
import { AgentResolver } from './resolver.js';
import { keyFingerprint, loadMasterKey, SecretBox } from './secrets.js';

export interface Store {
  database: Database;
  accounts: AccountsRepo;
  apiKeys: ApiKeysRepo;
  credentials: CredentialsRepo;
  providers: ProvidersRepo;
  agents: AgentsRepo;
  phoneNumbers: PhoneNumbersRepo;
  calls: CallsRepo;
  knowledge: KnowledgeRepo;
  home: HomeRepo;
  settings: SettingsRepo;
  retention: RetentionRepo;
  vapi: VapiRepo;
  resolver: AgentResolver;
  close(): Promise<void>;
}

export interface StoreOptions extends OpenOptions {
  /** Where the generated master key lives when none is given. */
  dataDir?: string;
  masterKey?: string | undefined;
  /** Apply migrations before use (on by default). */
  migrate?: boolean;
  cacheTtlMs?: number;
  logger?: Logger;
}

/** Builds the repositories over an already open database. */
export function createStore(
  database: Database,
  box: SecretBox,
  options: { cacheTtlMs?: number; logger?: Logger } = {},
): Store {
  const agents = new AgentsRepo(database.db);
  const phoneNumbers = new PhoneNumbersRepo(database.db);
  const resolver = new AgentResolver(database, agents, phoneNumbers, {
    ...(options.cacheTtlMs ? { ttlMs: options.cacheTtlMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    database,
    accounts: new AccountsRepo(database.db),
    apiKeys: new ApiKeysRepo(database.db),
    credentials: new CredentialsRepo(database.db, box),
    providers: new ProvidersRepo(database.db),
    agents,
    phoneNumbers,
    calls: new CallsRepo(database.db),
    knowledge: new KnowledgeRepo(database.db),
    home: new HomeRepo(database.db, box),
    settings: new SettingsRepo(database.db),
    retention: new RetentionRepo(database.db),
    vapi: new VapiRepo(database.db, box),
    resolver,
    async close() {
      await resolver.stop();
      await database.close();
    },
  };
}

/**
 * Opens the database (PGlite by default, PostgreSQL with a URL), applies migrations, checks the
 * master key against the one credentials were encrypted with, and starts change notifications.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const dataDir = options.dataDir ?? './data';
  const database = await openDatabase({
    ...options,
    dataDir: options.url ? dataDir : (options.dataDir ?? dataDir),
  });
  try {
    if (options.migrate !== false) await database.migrate();
    const { key, source } = loadMasterKey({
      masterKey: options.masterKey,
      keyFile: join(dataDir, 'master.key'),
    });
    const store = createStore(database, new SecretBox(key), options);
    const fingerprint = keyFingerprint(key);
    const known = await store.settings.get<string>('master_key_fingerprint');
    if (known && known !== fingerprint) {
      throw new Error(
        'MASTER_KEY does not match the key the stored credentials were encrypted with. ' +
          `Restore the original key (${source === 'env' ? 'MASTER_KEY' : join(dataDir, 'master.key')}).`,
      );
    }
    if (!known) await store.settings.set('master_key_fingerprint', fingerprint);
    if (source === 'generated') {
      options.logger?.info({ file: join(dataDir, 'master.key') }, 'generated a master key for credentials');
    }
    await store.resolver.start();
    return store;
  } catch (e) {
    await database.close().catch(() => {});
    throw e;
  }
}
