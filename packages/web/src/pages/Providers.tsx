import { useState } from 'react';
import { ApiError, del, errorText, get, type Page, patch, post } from '../api';
import { Alert, Badge, Field, Loading, MoreButton, PageTitle, useCan, useLoad, usePaged } from '../ui';
import { errorsFor, type FieldErrors, fieldErrors, unclaimed } from '../validation';

interface Credential {
  id: string;
  name: string;
  masked: string;
  allowedHosts: string[];
}
interface Provider {
  id: string;
  name: string;
  kind: 'sts' | 'asr' | 'llm' | 'tts';
  type: string;
  settings: Record<string, unknown>;
  credentialId: string | null;
}
interface ProviderType {
  kind: string;
  type: string;
  label: string;
  needsCredential: boolean;
  settingsSchema: { properties?: Record<string, unknown>; required?: string[] };
}
interface TestResult {
  ok: boolean;
  code: string;
  message: string;
  latencyMs: number | null;
}

const KINDS = ['llm', 'asr', 'tts', 'sts'] as const;
const splitList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export default function Providers() {
  const creds = usePaged<Credential>((cursor) => get<Page<Credential>>('/credentials', { cursor }), []);
  return (
    <>
      <PageTitle>Providers and credentials</PageTitle>
      <ProvidersSection credentials={creds.rows} />
      <CredentialsSection list={creds} />
    </>
  );
}

function ProvidersSection({ credentials }: { credentials: Credential[] }) {
  const canEdit = useCan('member');
  const types = useLoad(() => get<{ data: ProviderType[] }>('/provider-types'), []);
  const list = usePaged<Provider>((cursor) => get<Page<Provider>>('/providers', { cursor }), []);
  const [editing, setEditing] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, TestResult | string>>({});
  const credName = (id: string | null) => (id ? (credentials.find((c) => c.id === id)?.name ?? id) : '—');
  return (
    <section aria-labelledby="prov-h">
      <h2 id="prov-h">Providers</h2>
      <Alert>{list.error ?? types.error}</Alert>
      {canEdit && types.data ? (
        <details className="panel">
          <summary>Add a provider</summary>
          <ProviderForm
            types={types.data.data}
            credentials={credentials}
            onSaved={() => void list.reload()}
          />
        </details>
      ) : null}
      {list.loading && !list.rows.length ? <Loading what="providers" /> : null}
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Providers</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Type</th>
              <th scope="col">Credential</th>
              <th scope="col">Id (use in agents)</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.rows.map((p) => {
              const t = tests[p.id];
              return (
                <tr key={p.id}>
                  <td>
                    {p.name}
                    {editing === p.id && types.data ? (
                      <ProviderForm
                        types={types.data.data}
                        credentials={credentials}
                        existing={p}
                        onSaved={() => {
                          setEditing(null);
                          void list.reload();
                        }}
                      />
                    ) : null}
                  </td>
                  <td>{p.kind}</td>
                  <td>{p.type}</td>
                  <td>{credName(p.credentialId)}</td>
                  <td>
                    <code>{p.id}</code>
                  </td>
                  <td>
                    <div className="actions">
                      {canEdit ? (
                        <button
                          type="button"
                          aria-label={`Test ${p.name}`}
                          onClick={async () => {
                            setTests((x) => ({ ...x, [p.id]: 'Testing…' }));
                            try {
                              const r = await post<TestResult>(`/providers/${p.id}/test`);
                              setTests((x) => ({ ...x, [p.id]: r }));
                            } catch (e) {
                              setTests((x) => ({ ...x, [p.id]: errorText(e) }));
                            }
                          }}
                        >
                          Test
                        </button>
                      ) : null}
                      {canEdit ? (
                        <button
                          type="button"
                          aria-label={`Edit ${p.name}`}
                          onClick={() => setEditing(editing === p.id ? null : p.id)}
                        >
                          {editing === p.id ? 'Close' : 'Edit'}
                        </button>
                      ) : null}
                      {canEdit ? (
                        <button
                          type="button"
                          className="danger"
                          aria-label={`Delete ${p.name}`}
                          onClick={async () => {
                            if (!window.confirm(`Delete provider ${p.name}?`)) return;
                            try {
                              await del(`/providers/${p.id}`);
                              void list.reload();
                            } catch (e) {
                              setTests((x) => ({ ...x, [p.id]: errorText(e) }));
                            }
                          }}
                        >
                          Delete
                        </button>
                      ) : null}
                    </div>
                    {t ? (
                      <div role="status" data-testid={`test-${p.id}`}>
                        {typeof t === 'string' ? (
                          t
                        ) : (
                          <>
                            <Badge tone={t.ok ? 'ok' : 'danger'}>{t.code}</Badge> {t.message}
                            {t.latencyMs !== null ? ` (${t.latencyMs} ms)` : ''}
                          </>
                        )}
                      </div>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <MoreButton hasMore={list.hasMore} more={list.more} />
    </section>
  );
}

function ProviderForm({
  types,
  credentials,
  existing,
  onSaved,
}: {
  types: ProviderType[];
  credentials: Credential[];
  existing?: Provider;
  onSaved: () => void;
}) {
  const [name, setName] = useState(existing?.name ?? '');
  const [kind, setKind] = useState<string>(existing?.kind ?? 'llm');
  const [type, setType] = useState(existing?.type ?? types.find((t) => t.kind === 'llm')?.type ?? '');
  const [credentialId, setCredentialId] = useState(existing?.credentialId ?? '');
  const [settings, setSettings] = useState(JSON.stringify(existing?.settings ?? {}, null, 2));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const info = types.find((t) => t.kind === kind && t.type === type);
  const keys = Object.keys(info?.settingsSchema.properties ?? {});
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setErrors({});
        setError(null);
        let parsed: unknown;
        try {
          parsed = JSON.parse(settings || '{}');
        } catch {
          setErrors({ settings: ['not valid JSON'] });
          return;
        }
        try {
          const body = { name, settings: parsed, credentialId: credentialId || null };
          if (existing) await patch(`/providers/${existing.id}`, body);
          else await post('/providers', { ...body, kind, type });
          onSaved();
        } catch (err) {
          if (err instanceof ApiError) setErrors(fieldErrors(err.details));
          setError(errorText(err));
        }
      }}
    >
      <Alert>{error}</Alert>
      {unclaimed(errors, ['name', 'kind', 'type', 'settings', 'credentialId']).map((m) => (
        <Alert key={m}>{m}</Alert>
      ))}
      <Field label="Provider name" errors={errorsFor(errors, 'name')}>
        {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      {existing ? null : (
        <>
          <Field label="Kind" errors={errorsFor(errors, 'kind')}>
            {(p) => (
              <select
                {...p}
                value={kind}
                onChange={(e) => {
                  setKind(e.target.value);
                  setType(types.find((t) => t.kind === e.target.value)?.type ?? '');
                }}
              >
                {KINDS.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Type" errors={errorsFor(errors, 'type')}>
            {(p) => (
              <select {...p} value={type} onChange={(e) => setType(e.target.value)}>
                {types
                  .filter((t) => t.kind === kind)
                  .map((t) => (
                    <option key={t.type} value={t.type}>
                      {t.label}
                    </option>
                  ))}
              </select>
            )}
          </Field>
        </>
      )}
      <Field
        label="Credential"
        errors={errorsFor(errors, 'credentialId')}
        hint={info?.needsCredential ? 'This type needs one' : 'Optional for this type'}
      >
        {(p) => (
          <select {...p} value={credentialId} onChange={(e) => setCredentialId(e.target.value)}>
            <option value="">None</option>
            {credentials.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.masked})
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        label="Settings (JSON)"
        errors={errorsFor(errors, 'settings')}
        hint={keys.length ? `Fields: ${keys.join(', ')}` : 'This type takes no settings'}
      >
        {(p) => <textarea {...p} rows={4} value={settings} onChange={(e) => setSettings(e.target.value)} />}
      </Field>
      <button type="submit" className="primary">
        {existing ? 'Save provider' : 'Create provider'}
      </button>
    </form>
  );
}

function CredentialsSection({ list }: { list: ReturnType<typeof usePaged<Credential>> }) {
  const canAdmin = useCan('admin');
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <section aria-labelledby="cred-h">
      <h2 id="cred-h">Credentials</h2>
      <p className="muted">
        Secrets are encrypted at rest and never shown again: only their last four characters.
      </p>
      <Alert>{list.error ?? error}</Alert>
      {canAdmin ? (
        <details className="panel">
          <summary>Add a credential</summary>
          <CredentialForm onSaved={() => void list.reload()} />
        </details>
      ) : null}
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Credentials</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Secret</th>
              <th scope="col">Allowed hosts</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.rows.map((c) => (
              <tr key={c.id}>
                <td>
                  {c.name}
                  {editing === c.id ? (
                    <CredentialForm
                      existing={c}
                      onSaved={() => {
                        setEditing(null);
                        void list.reload();
                      }}
                    />
                  ) : null}
                </td>
                <td>
                  <code>{c.masked}</code>
                </td>
                <td>{c.allowedHosts.join(', ') || '—'}</td>
                <td>
                  {canAdmin ? (
                    <div className="actions">
                      <button
                        type="button"
                        aria-label={`Edit credential ${c.name}`}
                        onClick={() => setEditing(editing === c.id ? null : c.id)}
                      >
                        {editing === c.id ? 'Close' : 'Edit'}
                      </button>
                      <button
                        type="button"
                        className="danger"
                        aria-label={`Delete credential ${c.name}`}
                        onClick={async () => {
                          if (!window.confirm(`Delete credential ${c.name}?`)) return;
                          try {
                            await del(`/credentials/${c.id}`);
                            void list.reload();
                          } catch (e) {
                            setError(errorText(e));
                          }
                        }}
                      >
                        Delete
                      </button>
                    </div>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function CredentialForm({ existing, onSaved }: { existing?: Credential; onSaved: () => void }) {
  const [name, setName] = useState(existing?.name ?? '');
  const [value, setValue] = useState('');
  const [hosts, setHosts] = useState(existing?.allowedHosts.join(', ') ?? '');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setErrors({});
        setError(null);
        try {
          const body = {
            name,
            allowedHosts: splitList(hosts),
            ...(value ? { value } : {}),
          };
          if (existing) await patch(`/credentials/${existing.id}`, body);
          else await post('/credentials', body);
          setValue('');
          onSaved();
        } catch (err) {
          if (err instanceof ApiError) setErrors(fieldErrors(err.details));
          setError(errorText(err));
        }
      }}
    >
      <Alert>{error}</Alert>
      <Field label="Credential name" errors={errorsFor(errors, 'name')}>
        {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label={existing ? 'New secret (leave empty to keep)' : 'Secret'}
        errors={errorsFor(errors, 'value')}
      >
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="off"
            required={!existing}
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
        )}
      </Field>
      <Field
        label="Allowed hosts"
        errors={errorsFor(errors, 'allowedHosts')}
        hint="Comma-separated: host, host:port, *.domain, an IP or CIDR; besides the vendor's own hosts"
      >
        {(p) => <input {...p} value={hosts} onChange={(e) => setHosts(e.target.value)} />}
      </Field>
      <button type="submit" className="primary">
        {existing ? 'Save credential' : 'Create credential'}
      </button>
    </form>
  );
}
