import { type AgentConfig, AppError, validationFailed } from '@switchboard/core';
import { type Store, withDbErrors } from '@switchboard/store';
import { resolveCallerIds } from './caller-id.js';
import { isValidTimeZone, nextOpening, parseHhMm } from './calling-window.js';
import {
  MAX_CONTACTS_PER_REQUEST,
  type RawContact,
  type RowError,
  refuseUnstorableContacts,
  validateContacts,
} from './contacts-import.js';
import type { CallingWindow, Campaign, CircuitBreaker, RetryPolicy } from './model.js';
import { DEFAULT_BREAKER, DEFAULT_RETRY, requiredVariables } from './policy.js';
import { CampaignsRepo, insertCampaign, lockCampaign, reopenCampaign } from './repos/campaigns.js';
import { addContacts } from './repos/contacts.js';
import { type Clock, systemClock } from './types.js';

export interface CampaignInput {
  agentId: string;
  name: string;
  callerId: string;
  maxConcurrency?: number | undefined;
  callingWindow?: CallingWindow | null | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  breaker?: Partial<CircuitBreaker> | undefined;
}

export type CampaignPatch = Partial<Pick<CampaignInput, 'name' | 'maxConcurrency' | 'retry' | 'breaker'>> & {
  callingWindow?: CallingWindow | null | undefined;
};

export interface ImportOptions {
  /** The number of the first row given (1 = the file's first data row). */
  firstRow?: number | undefined;
  isValidPhone: (v: string) => boolean;
}

export interface ImportResult {
  received: number;
  added: number;
  /** Valid rows whose row number the campaign already had (a re-sent chunk). */
  duplicates: number;
  errors: RowError[];
}

/** Campaign use cases over the repositories; the HTTP routes and tests call these. */
export class CampaignService {
  readonly repo: CampaignsRepo;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock = systemClock,
  ) {
    this.repo = new CampaignsRepo(store.database.db);
  }

  async create(workspaceId: string, input: CampaignInput): Promise<Campaign> {
    return (await this.createWithContacts(workspaceId, input, [], { isValidPhone: () => true })).campaign;
  }

  /**
   * Creates a campaign and adds its contacts in one transaction: the dialer never sees it without
   * the contacts it was created with. Everything is checked first; invalid rows are reported and
   * the valid ones added, as by `importContacts`.
   */
  async createWithContacts(
    workspaceId: string,
    input: CampaignInput,
    raw: RawContact[],
    o: ImportOptions & {
      /** Where the settings came from, for error paths: `body` (JSON) or `querystring` (CSV). */
      settingsIn?: 'body' | 'querystring';
    },
  ): Promise<{ campaign: Campaign; import: ImportResult }> {
    const at = o.settingsIn ?? 'body';
    const config = await this.agentConfig(workspaceId, input.agentId, `${at}.agentId`);
    await resolveCallerIds(this.store.database.db, workspaceId, input.callerId, `${at}.callerId`);
    if (input.callingWindow) checkWindow(input.callingWindow);
    const { valid, errors } = await this.validate(workspaceId, raw, config, o);
    const now = new Date(this.clock.now());
    return withDbErrors(() =>
      this.store.database.db.transaction(async (tx) => {
        const campaign = await insertCampaign(tx, workspaceId, {
          agentId: input.agentId,
          name: input.name,
          callerId: input.callerId,
          maxConcurrency: input.maxConcurrency ?? 5,
          callingWindow: input.callingWindow ?? null,
          retry: { ...DEFAULT_RETRY, ...input.retry },
          breaker: { ...DEFAULT_BREAKER, ...input.breaker },
        });
        const added = await addContacts(tx, workspaceId, campaign.id, valid, now);
        return {
          campaign,
          import: { received: raw.length, added, duplicates: valid.length - added, errors },
        };
      }),
    );
  }

  /**
   * Edits a campaign. `retry` and `breaker` change only the fields given. Everything is checked
   * before anything is written: a refused edit leaves the campaign as it was.
   */
  async update(workspaceId: string, id: string, patch: CampaignPatch): Promise<Campaign> {
    const current = await this.repo.get(workspaceId, id);
    if (patch.callingWindow) checkWindow(patch.callingWindow);
    return this.repo.update(workspaceId, id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.maxConcurrency !== undefined ? { maxConcurrency: patch.maxConcurrency } : {}),
      ...(patch.callingWindow !== undefined ? { callingWindow: patch.callingWindow } : {}),
      ...(patch.retry ? { retry: { ...current.retry, ...patch.retry } } : {}),
      ...(patch.breaker ? { breaker: { ...current.breaker, ...patch.breaker } } : {}),
    });
  }

  /** When a campaign outside its calling window next opens; null when it is open or has none. */
  windowOpensAt(campaign: Campaign): Date | null {
    const w = campaign.callingWindow;
    if (!w) return null;
    const now = this.clock.now();
    const at = nextOpening(w, now);
    return at === null || at === now ? null : new Date(at);
  }

  /**
   * Adds contacts; invalid rows are reported one by one and the valid ones are added. Under the
   * campaign's row lock, which the dialer's fill also takes before it completes a campaign: new
   * contacts reopen a completed campaign, and a fill never completes one in the middle of an import.
   */
  async importContacts(
    workspaceId: string,
    campaignId: string,
    raw: RawContact[],
    o: ImportOptions,
  ): Promise<ImportResult> {
    const campaign = await this.repo.get(workspaceId, campaignId);
    const config = await this.agentConfig(workspaceId, campaign.agentId);
    const { valid, errors } = await this.validate(workspaceId, raw, config, o);
    const now = new Date(this.clock.now());
    const added = await this.store.database.db.transaction(async (tx) => {
      const c = await lockCampaign(tx, workspaceId, campaignId);
      if (c.status === 'cancelled' && valid.length > 0) {
        throw new AppError('conflict', 'the campaign is cancelled; create a new one for these contacts');
      }
      const n = await addContacts(tx, workspaceId, campaignId, valid, now);
      if (n > 0) await reopenCampaign(tx, c, now);
      return n;
    });
    return { received: raw.length, added, duplicates: valid.length - added, errors };
  }

  private async validate(workspaceId: string, raw: RawContact[], config: AgentConfig, o: ImportOptions) {
    if (raw.length > MAX_CONTACTS_PER_REQUEST) {
      throw validationFailed(`at most ${MAX_CONTACTS_PER_REQUEST} contacts per request`, [
        { path: 'body', message: 'send the list in chunks (firstRow numbers each chunk)' },
      ]);
    }
    // CSV text was checked as it was read, naming row and column; JSON contacts are checked here.
    refuseUnstorableContacts(raw, 'body.contacts');
    // A contact's overrides are checked as an agent document is: a bad one is a 400 naming it.
    const required = new Map<number, string[]>();
    for (const [i, r] of raw.entries()) {
      if (r.agentOverrides === undefined) continue;
      const path = `body.contacts.${i}.agentOverrides`;
      const merged = await this.store.agents.withOverrides(workspaceId, config, r.agentOverrides, path);
      required.set(i, requiredVariables(merged));
    }
    const base = requiredVariables(config);
    return validateContacts(raw, {
      firstRow: o.firstRow ?? 1,
      required: (i) => required.get(i) ?? base,
      isValidPhone: o.isValidPhone,
    });
  }

  /** The published document of the campaign's agent. */
  private async agentConfig(
    workspaceId: string,
    agentId: string,
    path = 'body.agentId',
  ): Promise<AgentConfig> {
    const snap = await this.store.resolver.resolveAgent({ agentId, workspaceId }).catch(() => {
      throw validationFailed('agent not found or not published', [
        { path, message: 'expected a published agent of this workspace' },
      ]);
    });
    return snap.config;
  }
}

function checkWindow(w: CallingWindow): void {
  const details = [];
  if (!isValidTimeZone(w.timeZone))
    details.push({ path: 'body.callingWindow.timeZone', message: 'unknown IANA time zone' });
  if (parseHhMm(w.start) === parseHhMm(w.end)) {
    details.push({ path: 'body.callingWindow.end', message: 'the window is empty: end equals start' });
  }
  if (details.length > 0) throw validationFailed('invalid calling window', details);
}
