/**
 * Keeps each agent that runs on Vapi in line with one Vapi assistant. The sync row is written
 * `pending` before Vapi is asked anything and `synced` or `error` after, so an agent is never half
 * synced without saying so. The assistant id is stored the moment Vapi returns it: an assistant
 * is created once per agent, then only updated (with the fields that changed) or deleted.
 */
import { randomUUID } from 'node:crypto';
import { type AgentSnapshot, KNOWLEDGE_SEARCH_TOOL, type Logger } from '@switchboard/core';
import type { RetryPolicy } from '@switchboard/engine';
import type {
  AgentsRepo,
  CredentialsRepo,
  PhoneNumbersRepo,
  VapiAssistantRow,
  VapiRepo,
} from '@switchboard/store';
import { assistantChanges, storedAssistant, toAssistant } from './assistant.js';
import { VapiClient, VapiError } from './client.js';

export interface VapiSyncOptions {
  vapi: VapiRepo;
  agents: AgentsRepo;
  /** For importing numbers: the numbers and the carrier accounts (`twilio:<AccountSid>`). */
  phoneNumbers?: PhoneNumbersRepo;
  credentials?: CredentialsRepo;
  /** Vapi's REST API (VAPI_API_URL). */
  baseUrl: string;
  /** This instance's public base URL: Vapi posts server messages under it. */
  publicUrl: string;
  logger: Logger;
  retry?: RetryPolicy;
  timeoutMs?: number;
}

export type VapiOperation = 'created' | 'updated' | 'unchanged' | 'deleted' | 'none';

export interface VapiSyncResult {
  agentId: string;
  ok: boolean;
  /** `unlinked`: the agent no longer runs on Vapi and has no assistant there. */
  state: 'synced' | 'pending' | 'error' | 'unlinked';
  operation: VapiOperation;
  assistantId: string | null;
  error: string | null;
}

export interface VapiImportResult {
  phoneNumberId: string;
  ok: boolean;
  operation: 'created' | 'updated' | 'unchanged' | 'none';
  vapiPhoneNumberId: string | null;
  assistantId: string | null;
  error: string | null;
}

/** Which settings check failed: reaching Vapi, the key, or what Vapi answered. */
export type VapiCheck = 'connect' | 'auth' | 'api';

export type VapiValidation = { ok: true } | { ok: false; check: VapiCheck; message: string };

export class VapiSync {
  readonly #o: VapiSyncOptions;
  /** One sync per agent at a time in this process: a second waits for the first. */
  readonly #running = new Map<string, Promise<unknown>>();

  constructor(o: VapiSyncOptions) {
    this.#o = o;
  }

  /** Where Vapi posts a workspace's server messages. */
  serverUrl(workspaceId: string): string {
    return `${this.#o.publicUrl.replace(/\/+$/, '')}/v1/vapi/events/${workspaceId}`;
  }

  #client(privateKey: string, requestId: string, logger: Logger): VapiClient {
    return new VapiClient({
      baseUrl: this.#o.baseUrl,
      privateKey,
      logger,
      requestId,
      ...(this.#o.retry ? { retry: this.#o.retry } : {}),
      ...(this.#o.timeoutMs ? { timeoutMs: this.#o.timeoutMs } : {}),
    });
  }

  /** Checks a private key with a real call (`GET /assistant?limit=1`) and says which check failed. */
  async validate(privateKey: string, requestId: string = randomUUID()): Promise<VapiValidation> {
    const logger = this.#o.logger.child({ requestId });
    try {
      const list = await this.#client(privateKey, requestId, logger).listAssistants(1);
      if (!Array.isArray(list)) {
        return { ok: false, check: 'api', message: 'GET /assistant did not answer a list of assistants' };
      }
      return { ok: true };
    } catch (e) {
      const err = e as VapiError;
      const status = err instanceof VapiError ? err.status : 0;
      if (status === 0) return { ok: false, check: 'connect', message: err.message };
      if (status === 401 || status === 403) {
        return { ok: false, check: 'auth', message: `Vapi refused the private key (${status})` };
      }
      return { ok: false, check: 'api', message: err.message };
    }
  }

  /**
   * Brings one agent's assistant in line with the agent: created or updated from its published
   * version while it runs on Vapi, deleted once it does not (or the agent is gone). A workspace
   * without Vapi settings and an agent that never ran on Vapi are left alone.
   */
  syncAgent(workspaceId: string, agentId: string, requestId: string = randomUUID()): Promise<VapiSyncResult> {
    const prev = this.#running.get(agentId) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(() => this.#sync(workspaceId, agentId, requestId));
    this.#running.set(agentId, next);
    void next.finally(() => {
      if (this.#running.get(agentId) === next) this.#running.delete(agentId);
    });
    return next;
  }

  /**
   * Syncs the given agents, or every agent that runs on Vapi or still has an assistant there, one
   * after the other; each gets its own result.
   */
  async syncMany(
    workspaceId: string,
    agentIds: readonly string[] | undefined,
    requestId: string = randomUUID(),
  ): Promise<VapiSyncResult[]> {
    const ids =
      agentIds ??
      [
        ...new Set([
          ...(await this.#o.vapi.linkedAgentIds(workspaceId)),
          ...(await this.#o.vapi.syncRows(workspaceId)).map((r) => r.agentId),
        ]),
      ].sort();
    const out: VapiSyncResult[] = [];
    for (const id of ids) out.push(await this.syncAgent(workspaceId, id, requestId));
    return out;
  }

  /**
   * Imports our numbers to Vapi and binds each to the assistant of the agent it routes to (the
   * default inbound agent when it names none). Done once per number; later imports only move the
   * binding when the assistant changed. Twilio numbers only: their account is the workspace's
   * `twilio:<AccountSid>` credential.
   */
  async importNumbers(
    workspaceId: string,
    phoneNumberIds: readonly string[],
    requestId: string = randomUUID(),
  ): Promise<VapiImportResult[]> {
    const logger = this.#o.logger.child({ requestId, workspaceId, subsystem: 'vapi-sync' });
    const settings = await this.#o.vapi.reveal(workspaceId);
    const out: VapiImportResult[] = [];
    for (const phoneNumberId of phoneNumberIds) {
      const result = (
        ok: boolean,
        operation: VapiImportResult['operation'],
        fields: { vapiPhoneNumberId?: string | null; assistantId?: string | null; error?: string } = {},
      ): VapiImportResult => ({
        phoneNumberId,
        ok,
        operation,
        vapiPhoneNumberId: fields.vapiPhoneNumberId ?? null,
        assistantId: fields.assistantId ?? null,
        error: fields.error ?? null,
      });
      try {
        if (!settings?.enabled) throw new Error('Vapi is not enabled for this workspace (PUT /v1/vapi)');
        const { phoneNumbers, credentials } = this.#o;
        if (!phoneNumbers || !credentials) throw new Error('numbers cannot be imported in this process');
        const number = await phoneNumbers.get(workspaceId, phoneNumberId).catch(() => null);
        if (!number) throw new Error(`phone number ${phoneNumberId} not found in this workspace`);
        if (number.connector !== 'twilio') {
          throw new Error(
            `only Twilio numbers are imported to Vapi; this one's connector is ${number.connector}`,
          );
        }
        const agentId = number.agentId ?? (await this.#o.agents.findDefault(workspaceId, 'inbound'));
        const assistantId = agentId ? (await this.#o.vapi.syncRow(workspaceId, agentId))?.assistantId : null;
        if (!agentId || !assistantId) {
          throw new Error("the number's agent does not run on Vapi or is not synced yet");
        }
        const imported = await this.#o.vapi.phoneImport(workspaceId, phoneNumberId);
        const client = this.#client(settings.privateKey, requestId, logger);
        if (imported) {
          if (imported.assistantId === assistantId) {
            out.push(
              result(true, 'unchanged', { vapiPhoneNumberId: imported.vapiPhoneNumberId, assistantId }),
            );
            continue;
          }
          await client.updatePhoneNumber(imported.vapiPhoneNumberId, { assistantId });
          await this.#o.vapi.recordPhoneImport(workspaceId, phoneNumberId, {
            vapiPhoneNumberId: imported.vapiPhoneNumberId,
            assistantId,
          });
          out.push(result(true, 'updated', { vapiPhoneNumberId: imported.vapiPhoneNumberId, assistantId }));
          continue;
        }
        const account = await credentials.revealByPrefix(workspaceId, 'twilio:');
        if (!account)
          throw new Error('no Twilio account in this workspace (a credential named twilio:<AccountSid>)');
        const created = await client.importPhoneNumber({
          provider: 'twilio',
          number: number.number,
          twilioAccountSid: account.name.slice('twilio:'.length),
          twilioAuthToken: account.secret,
          ...(number.label ? { name: number.label.slice(0, 40) } : {}),
          assistantId,
        });
        if (!created?.id) throw new Error('POST /phone-number answered no phone number id');
        await this.#o.vapi.recordPhoneImport(workspaceId, phoneNumberId, {
          vapiPhoneNumberId: created.id,
          assistantId,
        });
        logger.info({ phoneNumberId, vapiPhoneNumberId: created.id }, 'number imported to vapi');
        out.push(result(true, 'created', { vapiPhoneNumberId: created.id, assistantId }));
      } catch (e) {
        const error = (e as Error).message;
        logger.warn({ phoneNumberId, err: error }, 'number not imported to vapi');
        out.push(result(false, 'none', { error }));
      }
    }
    return out;
  }

  /**
   * The agent's knowledge bases on Vapi: each uploaded as one text file (again only when its text
   * changed) and one query tool over them, created once and updated when the files change. Returns
   * the tool id, or undefined when the agent has no knowledge base with text.
   */
  async #knowledge(
    client: VapiClient,
    workspaceId: string,
    snapshot: AgentSnapshot,
    row: VapiAssistantRow | null,
    logger: Logger,
  ): Promise<string | undefined> {
    const { vapi } = this.#o;
    const knowledgeBases: Record<string, unknown>[] = [];
    for (const kbId of snapshot.config.knowledge.knowledgeBaseIds) {
      const kb = await vapi.knowledgeText(workspaceId, kbId);
      if (!kb?.text) continue;
      let fileId = kb.uploaded?.vapiFileId;
      if (!fileId || kb.uploaded?.contentHash !== kb.hash) {
        fileId = (await client.uploadFile(`${kb.name.replace(/[^\w.-]+/g, '-').slice(0, 60)}.txt`, kb.text))
          .id;
        await vapi.recordKbFile(workspaceId, kbId, fileId, kb.hash);
        if (kb.uploaded) {
          await client
            .deleteFile(kb.uploaded.vapiFileId)
            .catch((e: Error) => logger.warn({ err: e.message }, 'old knowledge file not deleted on vapi'));
        }
        logger.info({ knowledgeBaseId: kbId, fileId }, 'knowledge base uploaded to vapi');
      }
      knowledgeBases.push({
        provider: 'google',
        name: kb.name.slice(0, 40),
        description: kb.description ?? `Answers from the knowledge base ${kb.name}`,
        fileIds: [fileId],
      });
    }
    const agentId = snapshot.agentId;
    if (knowledgeBases.length === 0) {
      if (row?.queryToolId) {
        await client.deleteTool(row.queryToolId);
        await vapi.recordQueryTool(agentId, null, null);
      }
      return undefined;
    }
    const tool = { type: 'query', function: { name: KNOWLEDGE_SEARCH_TOOL }, knowledgeBases };
    if (row?.queryToolId) {
      const { type: _type, ...changes } = assistantChanges(row.queryToolBody ?? {}, tool);
      if (Object.keys(changes).length > 0) {
        await client.updateTool(row.queryToolId, changes);
        await vapi.recordQueryTool(agentId, row.queryToolId, tool);
      }
      return row.queryToolId;
    }
    const created = await client.createTool(tool);
    if (!created?.id) throw new VapiError('POST /tool answered no tool id', 200);
    await vapi.recordQueryTool(agentId, created.id, tool);
    return created.id;
  }

  async #sync(workspaceId: string, agentId: string, requestId: string): Promise<VapiSyncResult> {
    const logger = this.#o.logger.child({ requestId, workspaceId, agentId, subsystem: 'vapi-sync' });
    const { vapi, agents } = this.#o;
    const result = (
      state: VapiSyncResult['state'],
      operation: VapiOperation,
      assistantId: string | null,
      error: string | null = null,
    ): VapiSyncResult => ({ agentId, ok: state !== 'error', state, operation, assistantId, error });

    const row = await vapi.syncRow(workspaceId, agentId);
    const agent = await agents.get(workspaceId, agentId).catch(() => null);
    const linked = agent?.runOnVapi === true;
    if (!linked && !row) {
      if (!agent) return result('error', 'none', null, `agent ${agentId} not found in this workspace`);
      return result('unlinked', 'none', null);
    }
    await vapi.markPending(workspaceId, agentId, linked);
    // Longer than any one sync can take with its retries and timeouts.
    if (!(await vapi.takeLease(agentId, 5 * 60_000))) {
      logger.info('another process is syncing this agent');
      return {
        ...result(
          'pending',
          'none',
          row?.assistantId ?? null,
          'another process is syncing this agent; retry shortly',
        ),
        ok: false,
      };
    }
    try {
      return await this.#syncLeased(workspaceId, agentId, linked, row, logger, requestId);
    } finally {
      await vapi.releaseLease(agentId).catch(() => {});
    }
  }

  async #syncLeased(
    workspaceId: string,
    agentId: string,
    linked: boolean,
    row: VapiAssistantRow | null,
    logger: Logger,
    requestId: string,
  ): Promise<VapiSyncResult> {
    const { vapi, agents } = this.#o;
    const result = (
      state: VapiSyncResult['state'],
      operation: VapiOperation,
      assistantId: string | null,
      error: string | null = null,
    ): VapiSyncResult => ({ agentId, ok: state !== 'error', state, operation, assistantId, error });
    const fail = async (message: string, assistantId: string | null) => {
      logger.warn({ err: message }, 'vapi sync failed');
      await vapi.recordError(agentId, message);
      return result('error', 'none', assistantId, message);
    };
    const settings = await vapi.reveal(workspaceId);
    if (!settings?.enabled) {
      return fail('Vapi is not enabled for this workspace (PUT /v1/vapi)', row?.assistantId ?? null);
    }
    const client = this.#client(settings.privateKey, requestId, logger);
    try {
      if (!linked) {
        if (row?.assistantId) await client.deleteAssistant(row.assistantId);
        if (row?.queryToolId) await client.deleteTool(row.queryToolId);
        await vapi.forget(agentId);
        logger.info({ assistantId: row?.assistantId }, 'vapi assistant deleted');
        return result('unlinked', row?.assistantId ? 'deleted' : 'none', null);
      }
      const snapshot = await agents.loadSnapshot(agentId);
      if (!snapshot) {
        logger.info('agent not published yet; its assistant is created on publish');
        return result('pending', 'none', row?.assistantId ?? null);
      }
      const queryToolId = await this.#knowledge(client, workspaceId, snapshot, row, logger);
      const body = toAssistant(snapshot, {
        serverUrl: this.serverUrl(workspaceId),
        serverSecret: settings.serverSecret,
        queryToolId,
      });
      let assistantId = row?.assistantId ?? null;
      let operation: VapiOperation = 'unchanged';
      if (assistantId) {
        const stored = storedAssistant(body);
        const changes = Object.fromEntries(
          Object.keys(assistantChanges(row?.syncedBody ?? {}, stored)).map((k) => [k, body[k] ?? null]),
        );
        if (Object.keys(changes).length > 0) {
          try {
            await client.updateAssistant(assistantId, changes);
            operation = 'updated';
          } catch (e) {
            // Deleted on Vapi's side: made again, once, under a new id.
            if (!(e instanceof VapiError && e.status === 404)) throw e;
            logger.warn({ assistantId }, 'vapi assistant was gone; creating it again');
            assistantId = null;
          }
        }
      }
      if (!assistantId) {
        const created = await client.createAssistant(body);
        if (!created?.id) throw new VapiError('POST /assistant answered no assistant id', 200);
        assistantId = created.id;
        await vapi.recordAssistantId(agentId, assistantId);
        operation = 'created';
      }
      await vapi.recordSynced(agentId, {
        assistantId,
        syncedVersion: snapshot.version,
        syncedBody: storedAssistant(body),
      });
      logger.info({ assistantId, operation, version: snapshot.version }, 'vapi assistant synced');
      return result('synced', operation, assistantId);
    } catch (e) {
      const current = await vapi.syncRow(workspaceId, agentId);
      return fail((e as Error).message, current?.assistantId ?? row?.assistantId ?? null);
    }
  }
}
