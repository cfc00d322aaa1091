import { type ReactNode, useState } from 'react';
import { del, errorText, get, type Page, patch, post } from '../api';
import { Link } from '../router';
import {
  ActionButton,
  Alert,
  Badge,
  ConfirmDelete,
  DataTable,
  Field,
  fmtTime,
  MoreButton,
  PageTitle,
  Secret,
  useCan,
  useFormErrors,
  usePaged,
} from '../ui';
import { errorsFor } from '../validation';
import { type Delivery, deliveryTone } from './delivery-types';

interface Webhook {
  id: string;
  agentId: string | null;
  url: string;
  eventTypes: string[];
  format: string;
  description: string | null;
  enabled: boolean;
  createdAt: string;
}
/** The event types a webhook can subscribe to (every call event but `transcript.partial`). */
const EVENT_TYPES = [
  'call.started',
  'call.ringing',
  'call.answered',
  'transcript.final',
  'agent.interrupted',
  'tool.called',
  'dtmf.received',
  'call.ended',
  'call.analyzed',
];
const FORMATS = ['switchboard', 'avr', 'external-updates'];

export default function Webhooks() {
  const canAdmin = useCan('admin');
  const hooks = usePaged<Webhook>((cursor) => get<Page<Webhook>>('/webhooks', { cursor }), []);
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const dead = usePaged<Delivery>(
    (cursor) => get<Page<Delivery>>('/deliveries', { cursor, status: 'dead' }),
    [],
  );
  return (
    <>
      <PageTitle>Webhooks</PageTitle>
      {secret ? <Secret label={secret.label} value={secret.value} /> : null}
      {canAdmin ? (
        <details className="panel">
          <summary>Add a webhook</summary>
          <WebhookForm
            onCreated={(w, s) => {
              setSecret({ label: `Signing secret of ${w.url}`, value: s });
              void hooks.reload();
            }}
          />
        </details>
      ) : null}
      <Alert>{hooks.error ?? error}</Alert>
      <Alert kind="ok">{notice}</Alert>
      <DataTable
        caption="Webhooks"
        rows={hooks.rows}
        rowKey={(w) => w.id}
        columns={[
          {
            header: 'URL',
            cell: (w) => (
              <>
                {w.url}
                {w.description ? <div className="muted">{w.description}</div> : null}
              </>
            ),
          },
          { header: 'Events', cell: (w) => w.eventTypes.join(', ') },
          { header: 'Format', cell: (w) => w.format },
          {
            header: 'Enabled',
            cell: (w) =>
              canAdmin ? (
                <input
                  type="checkbox"
                  aria-label={`Enabled: ${w.url}`}
                  checked={w.enabled}
                  onChange={async (e) => {
                    try {
                      await patch(`/webhooks/${w.id}`, { enabled: e.target.checked });
                      void hooks.reload();
                    } catch (err) {
                      setError(errorText(err));
                    }
                  }}
                />
              ) : w.enabled ? (
                'yes'
              ) : (
                'no'
              ),
          },
        ]}
        actions={(w) => (
          <div className="actions">
            <button
              type="button"
              onClick={() => setShown(shown === w.id ? null : w.id)}
              aria-expanded={shown === w.id}
            >
              Deliveries
            </button>
            {canAdmin ? (
              <>
                <ActionButton
                  aria-label={`Replay dead deliveries of ${w.url}`}
                  onAction={async () => {
                    const r = await post<{ replayed: number }>(`/webhooks/${w.id}/replay`);
                    setNotice(`${r.replayed} dead deliveries of ${w.url} queued again.`);
                    await dead.reload();
                  }}
                >
                  Replay dead
                </ActionButton>
                <ActionButton
                  aria-label={`Rotate the secret of ${w.url}`}
                  confirm="Rotate the signing secret? The old one stops working at once."
                  onAction={async () => {
                    const r = await post<{ secret: string }>(`/webhooks/${w.id}/rotate-secret`);
                    setSecret({ label: `New signing secret of ${w.url}`, value: r.secret });
                  }}
                >
                  Rotate secret
                </ActionButton>
                <ConfirmDelete
                  aria-label={`Delete webhook ${w.url}`}
                  confirm={`Delete the webhook to ${w.url}?`}
                  onDelete={async () => {
                    await del(`/webhooks/${w.id}`);
                    await hooks.reload();
                  }}
                />
              </>
            ) : null}
          </div>
        )}
      />
      <MoreButton hasMore={hooks.hasMore} more={hooks.more} />
      {shown ? <DeliveryList title="Deliveries of the webhook" query={{ webhookId: shown }} /> : null}
      <h2 id="dead-h">Dead letters</h2>
      <p className="muted">
        Deliveries that failed for good, to any target. Replay puts one back in the queue.
      </p>
      <DeliveryTable
        rows={dead.rows}
        empty={dead.loading ? null : <p>No dead letters.</p>}
        onReplayed={() => void dead.reload()}
      />
      <MoreButton hasMore={dead.hasMore} more={dead.more} />
    </>
  );
}

function DeliveryList({ title, query }: { title: string; query: Record<string, string> }) {
  const list = usePaged<Delivery>(
    (cursor) => get<Page<Delivery>>('/deliveries', { cursor, ...query }),
    [query],
  );
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      <Alert>{list.error}</Alert>
      <DeliveryTable rows={list.rows} onReplayed={() => void list.reload()} />
      <MoreButton hasMore={list.hasMore} more={list.more} />
    </section>
  );
}

function DeliveryTable({
  rows,
  empty = null,
  onReplayed,
}: {
  rows: Delivery[];
  empty?: ReactNode;
  onReplayed: () => void;
}) {
  const canAdmin = useCan('admin');
  return (
    <DataTable
      caption="Deliveries"
      testId="deliveries"
      rows={rows}
      rowKey={(d) => d.id}
      empty={empty}
      columns={[
        { header: 'Event', cell: (d) => d.type },
        { header: 'Call', cell: (d) => (d.callId ? <Link href={`/calls/${d.callId}`}>call</Link> : '—') },
        { header: 'Target', cell: (d) => d.target },
        { header: 'Status', cell: (d) => <Badge tone={deliveryTone(d.status)}>{d.status}</Badge> },
        { header: 'Attempts', cell: (d) => d.attempts },
        { header: 'Last answer', cell: (d) => d.lastStatus ?? d.lastError ?? '—' },
        { header: 'Created', cell: (d) => fmtTime(d.createdAt) },
      ]}
      actions={(d) =>
        canAdmin && d.status === 'dead' ? (
          <ActionButton
            aria-label={`Replay ${d.type} delivery`}
            onAction={async () => {
              await post(`/deliveries/${d.id}/replay`);
              onReplayed();
            }}
          >
            Replay
          </ActionButton>
        ) : null
      }
    />
  );
}

function WebhookForm({ onCreated }: { onCreated: (w: Webhook, secret: string) => void }) {
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<string[]>(['call.ended']);
  const [format, setFormat] = useState('switchboard');
  const [description, setDescription] = useState('');
  const { errors, error, clear, fail } = useFormErrors();
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        clear();
        try {
          const w = await post<Webhook & { secret: string }>('/webhooks', {
            url,
            eventTypes: types,
            format,
            description: description || null,
          });
          setUrl('');
          onCreated(w, w.secret);
        } catch (err) {
          fail(err);
        }
      }}
    >
      <Alert>{error}</Alert>
      <Field label="Webhook URL" errors={errorsFor(errors, 'url')}>
        {(p) => <input {...p} type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />}
      </Field>
      <fieldset className={errorsFor(errors, 'eventTypes').length ? 'field field-invalid' : 'field'}>
        <legend>Events</legend>
        {EVENT_TYPES.map((t) => (
          <label key={t} style={{ marginRight: '1rem' }}>
            <input
              type="checkbox"
              checked={types.includes(t)}
              onChange={(e) => setTypes(e.target.checked ? [...types, t] : types.filter((x) => x !== t))}
            />{' '}
            {t}
          </label>
        ))}
        {errorsFor(errors, 'eventTypes').map((m) => (
          <div key={m} className="field-errors">
            {m}
          </div>
        ))}
      </fieldset>
      <Field label="Format" errors={errorsFor(errors, 'format')}>
        {(p) => (
          <select {...p} value={format} onChange={(e) => setFormat(e.target.value)}>
            {FORMATS.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Webhook description" errors={errorsFor(errors, 'description')}>
        {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <button type="submit" className="primary">
        Create webhook
      </button>
    </form>
  );
}
