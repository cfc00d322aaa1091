import { validationFailed } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { resolveCallerIds } from './caller-id.js';
import { isValidTimeZone, nextOpening, parseHhMm } from './calling-window.js';
import {
  MAX_CONTACTS_PER_REQUEST,
  type RawContact,
  type RowError,
  validateContacts,
} from './contacts-import.js';
import type { CallingWindow, Campaign, CircuitBreaker, RetryPolicy } from './model.js';
import { DEFAULT_BREAKER, DEFAULT_RETRY, requiredVariables } from './policy.js';
import { CampaignsRepo } from './repos/campaigns.js';
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
    await this.agentVariables(workspaceId, input.agentId);
    await resolveCallerIds(this.store.database.db, workspaceId, input.callerId, 'body.callerId');
    if (input.callingWindow) checkWindow(input.callingWindow);
    return this.repo.create(workspaceId, {
      agentId: input.agentId,
      name: input.name,
      callerId: input.callerId,
      maxConcurrency: input.maxConcurrency ?? 5,
      callingWindow: input.callingWindow ?? null,
      retry: { ...DEFAULT_RETRY, ...input.retry },
      breaker: { ...DEFAULT_BREAKER, ...input.breaker },
    });
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

  /** Adds contacts; invalid rows are reported one by one and the valid ones are added. */
  async importContacts(
    workspaceId: string,
    campaignId: string,
    raw: RawContact[],
    o: { firstRow?: number | undefined; isValidPhone: (v: string) => boolean },
  ): Promise<ImportResult> {
    if (raw.length > MAX_CONTACTS_PER_REQUEST) {
      throw validationFailed(`at most ${MAX_CONTACTS_PER_REQUEST} contacts per request`, [
        { path: 'body', message: 'send the list in chunks (firstRow numbers each chunk)' },
      ]);
    }
    const campaign = await this.repo.get(workspaceId, campaignId);
    const required = await this.agentVariables(workspaceId, campaign.agentId);
    const { valid, errors } = validateContacts(raw, {
      firstRow: o.firstRow ?? 1,
      required,
      isValidPhone: o.isValidPhone,
    });
    const added = await addContacts(
      this.store.database.db,
      workspaceId,
      campaignId,
      valid,
      new Date(this.clock.now()),
    );
    return { received: raw.length, added, duplicates: valid.length - added, errors };
  }

  private async agentVariables(workspaceId: string, agentId: string): Promise<string[]> {
    const snap = await this.store.resolver.resolveAgent({ agentId, workspaceId }).catch(() => {
      throw validationFailed('agent not found or not published', [
        { path: 'body.agentId', message: 'expected a published agent of this workspace' },
      ]);
    });
    return requiredVariables(snap.config);
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
