import { useEffect, useState } from 'react';
import { get, type Page, post } from '../api';
import { Link } from '../router';
import { ActionButton, Alert, Badge, DataTable, fmtTime, PageTitle, useCan, useLoad } from '../ui';
import type { Call } from './call-types';

interface LiveLine {
  role: string;
  text: string;
  final: boolean;
}

/**
 * One call followed over `GET /v1/calls/{id}/live` (Server-Sent Events): its status, the
 * transcript as it is spoken (partials replaced by their final) and how it ended.
 */
function FollowedCall({ id, onClose, onEnd }: { id: string; onClose: () => void; onEnd: () => void }) {
  const [lines, setLines] = useState<LiveLine[]>([]);
  const [status, setStatus] = useState('connecting');
  useEffect(() => {
    setLines([]);
    const source = new EventSource(`/v1/calls/${id}/live`);
    const transcript = (final: boolean) => (ev: MessageEvent<string>) => {
      const { data } = JSON.parse(ev.data) as { data: { role: string; text: string } };
      setLines((prev) => {
        const last = prev.at(-1);
        // A partial is replaced by the next partial or final of the same speaker.
        const keep = last && !last.final && last.role === data.role ? prev.slice(0, -1) : prev;
        return [...keep, { role: data.role, text: data.text, final }];
      });
    };
    source.addEventListener('state', (ev) => setStatus((JSON.parse(ev.data) as { status: string }).status));
    source.addEventListener('transcript.partial', transcript(false));
    source.addEventListener('transcript.final', transcript(true));
    source.addEventListener('end', (ev) => {
      const end = JSON.parse(ev.data) as { outcome?: string; endedReason?: string };
      setStatus(`ended: ${end.outcome ?? ''} ${end.endedReason ? `(${end.endedReason})` : ''}`.trim());
      source.close();
      onEnd();
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED)
        setStatus((s) => (s.startsWith('ended') ? s : 'disconnected'));
    };
    return () => source.close();
  }, [id, onEnd]);
  return (
    <section aria-label="Followed call" className="panel">
      <p>
        Following <Link href={`/calls/${id}`}>{id.slice(0, 8)}</Link>: <Badge tone="info">{status}</Badge>{' '}
        <button type="button" onClick={onClose}>
          Stop following
        </button>
      </p>
      <ol aria-live="polite" className="transcript">
        {lines.map((l, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: lines are only ever appended or replaced at the end
          <li key={i} className={l.final ? '' : 'muted'}>
            <strong>{l.role}:</strong> {l.text}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Calls ringing or in progress, polled every 2 seconds; one of them followed live. */
export default function Live() {
  const canHangUp = useCan('member');
  const [followed, setFollowed] = useState<string | undefined>();
  const live = useLoad(
    async () => {
      const [ringing, inProgress] = await Promise.all([
        get<Page<Call>>('/calls', { status: 'ringing', limit: 100 }),
        get<Page<Call>>('/calls', { status: 'in-progress', limit: 100 }),
      ]);
      return [...inProgress.data, ...ringing.data];
    },
    [],
    2000,
  );
  const calls = live.data ?? [];
  const { reload } = live;
  return (
    <>
      <PageTitle>Live calls</PageTitle>
      <p className="muted" aria-live="polite">
        {calls.length} call{calls.length === 1 ? '' : 's'} live; refreshed every 2 seconds.
      </p>
      <Alert>{live.error}</Alert>
      {followed ? <FollowedCall id={followed} onClose={() => setFollowed(undefined)} onEnd={reload} /> : null}
      <DataTable
        caption="Live calls"
        rows={calls}
        rowKey={(c) => c.id}
        columns={[
          {
            header: 'Started',
            cell: (c) => <Link href={`/calls/${c.id}`}>{fmtTime(c.startedAt ?? c.createdAt)}</Link>,
          },
          { header: 'Direction', cell: (c) => c.direction },
          {
            header: 'From → to',
            cell: (c) => (
              <>
                {c.from} → {c.to}
              </>
            ),
          },
          { header: 'Status', cell: (c) => <Badge tone="info">{c.status}</Badge> },
        ]}
        actions={(c) => (
          <>
            <button
              type="button"
              aria-label={`Follow the call from ${c.from} to ${c.to}`}
              onClick={() => setFollowed(c.id)}
            >
              Follow
            </button>{' '}
            {canHangUp ? (
              <ActionButton
                className="danger"
                aria-label={`Hang up the call from ${c.from} to ${c.to}`}
                onAction={async () => {
                  await post(`/calls/${c.id}/hangup`);
                  await reload();
                }}
              >
                Hang up
              </ActionButton>
            ) : null}
          </>
        )}
      />
    </>
  );
}
