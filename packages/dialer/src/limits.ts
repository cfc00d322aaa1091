import type { Db } from '@switchboard/store';
import type { LimitDefaults } from './claim.js';
import { getLimits, setLimits, type WorkspaceLimits } from './repos/settings.js';
import { type Clock, systemClock } from './types.js';

/** The platform's limits where a workspace sets none (the dialer's `limits` option overrides). */
export const DEFAULT_LIMITS: Pick<
  LimitDefaults,
  'maxConcurrentCallsPerWorkspace' | 'callsPerSecondPerNumber'
> = {
  maxConcurrentCallsPerWorkspace: 10,
  callsPerSecondPerNumber: 1,
};

export interface LimitsView extends WorkspaceLimits {
  /** What the dialer applies: the workspace's value, or the platform default where it has none. */
  effective: { maxConcurrentCalls: number; callsPerSecondPerNumber: number };
}

/** A workspace's dialer limits; every dialer process reads them at each claim. */
export class DialerLimits {
  constructor(
    private readonly db: Db,
    private readonly defaults = DEFAULT_LIMITS,
    private readonly clock: Clock = systemClock,
  ) {}

  async get(workspaceId: string): Promise<LimitsView> {
    return this.view(await getLimits(this.db, workspaceId));
  }

  async set(workspaceId: string, limits: WorkspaceLimits): Promise<LimitsView> {
    return this.view(await setLimits(this.db, workspaceId, limits, new Date(this.clock.now())));
  }

  private view(l: WorkspaceLimits): LimitsView {
    return {
      ...l,
      effective: {
        maxConcurrentCalls: l.maxConcurrentCalls ?? this.defaults.maxConcurrentCallsPerWorkspace,
        callsPerSecondPerNumber: l.callsPerSecondPerNumber ?? this.defaults.callsPerSecondPerNumber,
      },
    };
  }
}
