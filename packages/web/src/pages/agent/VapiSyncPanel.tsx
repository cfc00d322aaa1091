import { get, post } from '../../api';
import { ActionButton, Alert, Badge, fmtTime, useCan, useLoad } from '../../ui';

interface VapiSyncState {
  assistantId: string | null;
  syncedVersion: number | null;
  state: 'pending' | 'synced' | 'error';
  error: string | null;
  syncedAt: string | null;
}

const TONE = { synced: 'ok', pending: 'info', error: 'warn' } as const;

/** An agent that runs on Vapi: its assistant's sync state, and a retry for members. */
export function VapiSyncPanel({ agentId, version }: { agentId: string; version: number | null }) {
  const canRetry = useCan('member');
  const s = useLoad(() => get<VapiSyncState>(`/agents/${agentId}/vapi`), [agentId, version]);
  if (s.error) return <Alert>{s.error}</Alert>;
  if (!s.data) return null;
  const d = s.data;
  return (
    <section className="panel" aria-labelledby="vapi-h">
      <h2 id="vapi-h">
        Vapi <Badge tone={TONE[d.state]}>{d.state}</Badge>
      </h2>
      <p className="muted">
        {d.assistantId ? `Assistant ${d.assistantId}` : 'No assistant yet'}
        {d.syncedVersion ? ` · built from v${d.syncedVersion}` : ''}
        {d.syncedAt ? ` · synced ${fmtTime(d.syncedAt)}` : ''}
      </p>
      {d.state === 'error' && d.error ? <Alert>{d.error}</Alert> : null}
      {canRetry ? (
        <ActionButton
          onAction={async () => {
            try {
              await post(`/agents/${agentId}/vapi-sync`);
            } finally {
              await s.reload();
            }
          }}
        >
          Retry sync
        </ActionButton>
      ) : null}
    </section>
  );
}
