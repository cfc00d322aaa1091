import { get, type Page, post } from '../api';
import { Link } from '../router';
import { ActionButton, Alert, Badge, fmtTime, PageTitle, useCan, useLoad } from '../ui';
import type { Call } from './call-types';

/** Calls ringing or in progress, polled every 2 seconds. */
export default function Live() {
  const canHangUp = useCan('member');
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
  return (
    <>
      <PageTitle>Live calls</PageTitle>
      <p className="muted" aria-live="polite">
        {calls.length} call{calls.length === 1 ? '' : 's'} live; refreshed every 2 seconds.
      </p>
      <Alert>{live.error}</Alert>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Live calls</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Direction</th>
              <th scope="col">From → to</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {calls.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link href={`/calls/${c.id}`}>{fmtTime(c.startedAt ?? c.createdAt)}</Link>
                </td>
                <td>{c.direction}</td>
                <td>
                  {c.from} → {c.to}
                </td>
                <td>
                  <Badge tone="info">{c.status}</Badge>
                </td>
                <td>
                  {canHangUp && c.direction === 'outbound' ? (
                    <ActionButton
                      className="danger"
                      aria-label={`Hang up the call to ${c.to}`}
                      onAction={async () => {
                        await post(`/calls/${c.id}/cancel`);
                        await live.reload();
                      }}
                    >
                      Hang up
                    </ActionButton>
                  ) : c.direction === 'inbound' ? (
                    <span className="muted">ends when the caller or agent hangs up</span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
