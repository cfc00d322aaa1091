import { useState } from 'react';
import { api, del, errorText, get, type Page, patch, post } from '../api';
import {
  Alert,
  Badge,
  ConfirmDelete,
  DataTable,
  Field,
  Loading,
  MoreButton,
  PageTitle,
  useCan,
  useFormErrors,
  useLoad,
  usePaged,
} from '../ui';
import { errorsFor, unclaimed } from '../validation';

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
interface CarrierTestResult {
  ok: boolean;
  failure: 'malformed' | 'rejected' | 'unreachable' | null;
  message: string;
}

/** Credentials the server checks with the carrier: `twilio:<AccountSid>`, `plivo:<AuthId>`, `telnyx`. */
const isCarrierAccount = (name: string) => /^(twilio|plivo|telnyx)(:|$)/i.test(name.trim());

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
      <DataTable
        caption="Providers"
        rows={list.rows}
        rowKey={(p) => p.id}
        columns={[
          {
            header: 'Name',
            cell: (p) => (
              <>
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
              </>
            ),
          },
          { header: 'Kind', cell: (p) => p.kind },
          { header: 'Type', cell: (p) => p.type },
          { header: 'Credential', cell: (p) => credName(p.credentialId) },
          { header: 'Id (use in agents)', cell: (p) => <code>{p.id}</code> },
        ]}
        actions={(p) => {
          const t = tests[p.id];
          const report = (r: TestResult | string) => setTests((x) => ({ ...x, [p.id]: r }));
          return (
            <>
              <div className="actions">
                {canEdit ? (
                  <>
                    <button
                      type="button"
                      aria-label={`Test ${p.name}`}
                      onClick={async () => {
                        report('Testing…');
                        try {
                          report(await post<TestResult>(`/providers/${p.id}/test`));
                        } catch (e) {
                          report(errorText(e));
                        }
                      }}
                    >
                      Test
                    </button>
                    <button
                      type="button"
                      aria-label={`Edit ${p.name}`}
                      onClick={() => setEditing(editing === p.id ? null : p.id)}
                    >
                      {editing === p.id ? 'Close' : 'Edit'}
                    </button>
                    <ConfirmDelete
                      aria-label={`Delete ${p.name}`}
                      confirm={`Delete provider ${p.name}?`}
                      onDelete={async () => {
                        await del(`/providers/${p.id}`);
                        void list.reload();
                      }}
                      onError={report}
                    />
                  </>
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
            </>
          );
        }}
      />
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
  const { errors, setErrors, error, clear, fail } = useFormErrors();
  const info = types.find((t) => t.kind === kind && t.type === type);
  const keys = Object.keys(info?.settingsSchema.properties ?? {});
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        clear();
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
          fail(err);
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
  const [tests, setTests] = useState<Record<string, CarrierTestResult | string>>({});
  return (
    <section aria-labelledby="cred-h">
      <h2 id="cred-h">Credentials</h2>
      <p className="muted">
        Secrets are encrypted at rest and never shown again: only their last four characters. Carrier accounts
        (<code>twilio:AccountSid</code>, <code>plivo:AuthId</code>, <code>telnyx</code>) are checked with the
        carrier before they are saved.
      </p>
      <Alert>{list.error ?? error}</Alert>
      {canAdmin ? (
        <details className="panel">
          <summary>Add a credential</summary>
          <CredentialForm onSaved={() => void list.reload()} />
        </details>
      ) : null}
      <DataTable
        caption="Credentials"
        rows={list.rows}
        rowKey={(c) => c.id}
        columns={[
          {
            header: 'Name',
            cell: (c) => (
              <>
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
              </>
            ),
          },
          { header: 'Secret', cell: (c) => <code>{c.masked}</code> },
          { header: 'Allowed hosts', cell: (c) => c.allowedHosts.join(', ') || '—' },
        ]}
        actions={(c) => {
          if (!canAdmin) return null;
          const t = tests[c.id];
          const report = (r: CarrierTestResult | string) => setTests((x) => ({ ...x, [c.id]: r }));
          return (
            <>
              <div className="actions">
                {isCarrierAccount(c.name) ? (
                  <button
                    type="button"
                    aria-label={`Test credential ${c.name}`}
                    onClick={async () => {
                      report('Testing…');
                      try {
                        report(await post<CarrierTestResult>(`/credentials/${c.id}/test`));
                      } catch (e) {
                        report(errorText(e));
                      }
                    }}
                  >
                    Test
                  </button>
                ) : null}
                <button
                  type="button"
                  aria-label={`Edit credential ${c.name}`}
                  onClick={() => setEditing(editing === c.id ? null : c.id)}
                >
                  {editing === c.id ? 'Close' : 'Edit'}
                </button>
                <ConfirmDelete
                  aria-label={`Delete credential ${c.name}`}
                  confirm={`Delete credential ${c.name}?`}
                  onDelete={async () => {
                    await del(`/credentials/${c.id}`);
                    void list.reload();
                  }}
                  onError={setError}
                />
              </div>
              {t ? (
                <div role="status" data-testid={`credential-test-${c.id}`}>
                  {typeof t === 'string' ? (
                    t
                  ) : (
                    <>
                      <Badge tone={t.ok ? 'ok' : 'danger'}>{t.ok ? 'ok' : t.failure}</Badge> {t.message}
                    </>
                  )}
                </div>
              ) : null}
            </>
          );
        }}
      />
    </section>
  );
}

function CredentialForm({ existing, onSaved }: { existing?: Credential; onSaved: () => void }) {
  const [name, setName] = useState(existing?.name ?? '');
  const [value, setValue] = useState('');
  const [hosts, setHosts] = useState(existing?.allowedHosts.join(', ') ?? '');
  const [skipCheck, setSkipCheck] = useState(false);
  const { errors, error, clear, fail } = useFormErrors();
  const carrier = isCarrierAccount(name);
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        clear();
        try {
          const body = {
            name,
            allowedHosts: splitList(hosts),
            ...(value ? { value } : {}),
          };
          // The carrier's refusal (422) or silence (502) comes back as the form's error.
          const query = carrier && skipCheck ? { validate: false } : {};
          if (existing) await api('PATCH', `/credentials/${existing.id}`, body, { query });
          else await api('POST', '/credentials', body, { query });
          setValue('');
          onSaved();
        } catch (err) {
          fail(err);
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
      {carrier ? (
        <div className="field">
          <label>
            <input type="checkbox" checked={skipCheck} onChange={(e) => setSkipCheck(e.target.checked)} />{' '}
            Save without asking the carrier (a server without internet access)
          </label>
        </div>
      ) : null}
      <button type="submit" className="primary">
        {existing ? 'Save credential' : 'Create credential'}
      </button>
    </form>
  );
}
