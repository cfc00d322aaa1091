import { useState } from 'react';
import { ApiError, api, del, errorText, get } from '../api';
import { Alert, Badge, Field, fmtTime, PageTitle, useCan, useLoad } from '../ui';
import { errorsFor, type FieldErrors, fieldErrors } from '../validation';

interface Connection {
  url: string;
  maskedToken: string;
  historyRetentionDays: number;
  status: string;
  lastError: string | null;
  haVersion: string | null;
  lastSyncedAt: string | null;
  counts: { devices: number; entities: number; services: number };
}

interface Entity {
  entityId: string;
  domain: string;
  name: string;
  state: string | null;
  lastChanged: string | null;
}

const tone = (status: string) =>
  status === 'connected' ? 'ok' : status === 'auth_failed' || status === 'error' ? 'danger' : 'warn';

/** The workspace's Home Assistant: the connection (admins change it) and the synced entities. */
export default function HomeAssistant() {
  const canAdmin = useCan('admin');
  const conn = useLoad<Connection | null>(
    () =>
      get<Connection>('/home-assistant').catch((e) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    [],
    5000,
  );
  const [search, setSearch] = useState('');
  const entities = useLoad(
    () => get<{ data: Entity[] }>('/home-assistant/entities', { search: search.trim() || undefined }),
    [search],
    5000,
  );
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [retention, setRetention] = useState('7');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const c = conn.data;

  return (
    <>
      <PageTitle actions={c ? <Badge tone={tone(c.status)}>{c.status.replace('_', ' ')}</Badge> : null}>
        Home Assistant
      </PageTitle>
      <Alert>{conn.error ?? error}</Alert>
      {c ? (
        <div className="panel">
          <p>
            <code>{c.url}</code> · token <code>{c.maskedToken}</code> · Home Assistant {c.haVersion ?? '—'} ·
            synced {fmtTime(c.lastSyncedAt)}
          </p>
          <p>
            {c.counts.devices} devices, {c.counts.entities} entities, {c.counts.services} services; state
            history kept {c.historyRetentionDays} days.
          </p>
          {c.lastError && c.status !== 'connected' ? <Alert>{c.lastError}</Alert> : null}
        </div>
      ) : conn.data === undefined ? null : (
        <p className="muted">This workspace has no Home Assistant connection yet.</p>
      )}
      {canAdmin ? (
        <form
          className="panel filters"
          onSubmit={async (e) => {
            e.preventDefault();
            setErrors({});
            setError(null);
            setSaving(true);
            try {
              await api('PUT', '/home-assistant', {
                url: url || c?.url,
                ...(token ? { token } : {}),
                historyRetentionDays: Number(retention),
              });
              setToken('');
              void conn.reload();
            } catch (err) {
              if (err instanceof ApiError) setErrors(fieldErrors(err.details));
              setError(errorText(err));
            } finally {
              setSaving(false);
            }
          }}
        >
          <Field label="URL" errors={errorsFor(errors, 'url')} hint="e.g. http://homeassistant.local:8123">
            {(p) => (
              <input
                {...p}
                required={!c}
                value={url}
                placeholder={c?.url}
                onChange={(e) => setUrl(e.target.value)}
              />
            )}
          </Field>
          <Field
            label="Long-lived access token"
            errors={errorsFor(errors, 'token')}
            hint={c ? 'leave empty to keep the stored token' : 'from your Home Assistant profile page'}
          >
            {(p) => (
              <input
                {...p}
                type="password"
                autoComplete="off"
                required={!c}
                value={token}
                onChange={(e) => setToken(e.target.value)}
              />
            )}
          </Field>
          <Field label="History (days)" errors={errorsFor(errors, 'historyRetentionDays')}>
            {(p) => (
              <input
                {...p}
                type="number"
                min={1}
                max={3650}
                value={retention}
                onChange={(e) => setRetention(e.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="primary" disabled={saving}>
            {saving ? 'Checking…' : c ? 'Save' : 'Connect'}
          </button>
          {c ? (
            <button
              type="button"
              className="danger"
              onClick={async () => {
                if (!window.confirm('Disconnect Home Assistant and forget the synced devices?')) return;
                try {
                  await del('/home-assistant');
                  void conn.reload();
                  void entities.reload();
                } catch (err) {
                  setError(errorText(err));
                }
              }}
            >
              Disconnect
            </button>
          ) : null}
        </form>
      ) : (
        <p className="muted">Connecting Home Assistant needs the admin role.</p>
      )}
      <div className="filters">
        <Field label="Search entities">
          {(p) => <input {...p} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />}
        </Field>
      </div>
      <Alert>{entities.error}</Alert>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Entities</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Entity</th>
              <th scope="col">State</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {(entities.data?.data ?? []).map((e) => (
              <tr key={e.entityId}>
                <td>{e.name}</td>
                <td>
                  <code>{e.entityId}</code>
                </td>
                <td>{e.state ?? '—'}</td>
                <td>{fmtTime(e.lastChanged)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
