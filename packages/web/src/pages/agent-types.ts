export interface Agent {
  id: string;
  name: string;
  description: string | null;
  draft: Record<string, unknown>;
  draftUpdatedAt: string;
  currentVersion: number | null;
  hasUnpublishedChanges: boolean;
  defaultInbound: boolean;
  defaultOutbound: boolean;
  /** Synced to a Vapi assistant; its state is at /agents/{id}/vapi. */
  runOnVapi?: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface AgentVersion {
  agentId: string;
  version: number;
  config: Record<string, unknown>;
  note: string | null;
  sourceVersion: number | null;
  createdBy: string | null;
  createdAt: string;
}

/** Draft vs published, as a badge says it. */
export function agentState(a: Agent): { label: string; tone: string } {
  if (a.currentVersion === null) return { label: 'Draft, never published', tone: 'warn' };
  if (a.hasUnpublishedChanges)
    return { label: `v${a.currentVersion} published · draft changed`, tone: 'info' };
  return { label: `v${a.currentVersion} published`, tone: 'ok' };
}
