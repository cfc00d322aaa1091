import { useState } from 'react';
import { ApiError, del, errorText, get, type Page, patch, post } from '../api';
import { Link } from '../router';
import {
  ActionButton,
  Alert,
  Badge,
  Field,
  fmtTime,
  MoreButton,
  PageTitle,
  Secret,
  useCan,
  usePaged,
} from '../ui';
import { errorsFor, type FieldErrors, fieldErrors } from '../validation';

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
interface Delivery {
  id: string;
  type: string;
  callId: string | null;
  target: string;
  webhookId: string | null;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
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
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Webhooks</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Format</th>
              <th scope="col">Enabled</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {hooks.rows.map((w) => (
              <tr key={w.id}>
                <td>
                  {w.url}
                  {w.description ? <div className="muted">{w.description}</div> : null}
                </td>
                <td>{w.eventTypes.join(', ')}</td>
                <td>{w.format}</td>
                <td>
                  {canAdmin ? (
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
                  )}
                </td>
                <td>
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
                        <ActionButton
                          className="danger"
                          aria-label={`Delete webhook ${w.url}`}
                          confirm={`Delete the webhook to ${w.url}?`}
                          onAction={async () => {
                            await del(`/webhooks/${w.id}`);
                            await hooks.reload();
                          }}
                        >
                          Delete
                        </ActionButton>
                      </>
                    ) : null}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <MoreButton hasMore={hooks.hasMore} more={hooks.more} />
      {shown ? <DeliveryList title="Deliveries of the webhook" query={{ webhookId: shown }} /> : null}
      <h2 id="dead-h">Dead letters</h2>
      <p className="muted">
        Deliveries that failed for good, to any target. Replay puts one back in the queue.
      </p>
      <DeliveryTable rows={dead.rows} onReplayed={() => void dead.reload()} />
      <MoreButton hasMore={dead.hasMore} more={dead.more} />
      {!dead.rows.length && !dead.loading ? <p>No dead letters.</p> : null}
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

function DeliveryTable({ rows, onReplayed }: { rows: Delivery[]; onReplayed: () => void }) {
  const canAdmin = useCan('admin');
  if (!rows.length) return null;
  return (
    <div className="table-wrap">
      <table data-testid="deliveries">
        <caption className="sr-only">Deliveries</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Call</th>
            <th scope="col">Target</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.id}>
              <td>{d.type}</td>
              <td>{d.callId ? <Link href={`/calls/${d.callId}`}>call</Link> : '—'}</td>
              <td>{d.target}</td>
              <td>
                <Badge tone={d.status === 'delivered' ? 'ok' : d.status === 'dead' ? 'danger' : 'info'}>
                  {d.status}
                </Badge>
              </td>
              <td>{d.attempts}</td>
              <td>{d.lastStatus ?? d.lastError ?? '—'}</td>
              <td>{fmtTime(d.createdAt)}</td>
              <td>
                {canAdmin && d.status === 'dead' ? (
                  <ActionButton
                    aria-label={`Replay ${d.type} delivery`}
                    onAction={async () => {
                      await post(`/deliveries/${d.id}/replay`);
                      onReplayed();
                    }}
                  >
                    Replay
                  </ActionButton>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WebhookForm({ onCreated }: { onCreated: (w: Webhook, secret: string) => void }) {
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<string[]>(['call.ended']);
  const [format, setFormat] = useState('switchboard');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setErrors({});
        setError(null);
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
          if (err instanceof ApiError) setErrors(fieldErrors(err.details));
          setError(errorText(err));
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
