import { useState } from 'react';
import { del, get, type Page, post } from '../api';
import {
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

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  role: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export default function ApiKeys() {
  const canAdmin = useCan('admin');
  const list = usePaged<ApiKey>(
    (cursor) => get<Page<ApiKey>>('/api-keys', { cursor, includeRevoked: true }),
    [],
  );
  const [name, setName] = useState('');
  const [role, setRole] = useState('member');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const { errors, error, setError, clear, fail } = useFormErrors();
  return (
    <>
      <PageTitle>API keys</PageTitle>
      {created ? <Secret label={`New key "${created.name}"`} value={created.key} /> : null}
      {canAdmin ? (
        <form
          className="panel filters"
          onSubmit={async (e) => {
            e.preventDefault();
            clear();
            try {
              const k = await post<ApiKey & { key: string }>('/api-keys', { name, role });
              setCreated({ name: k.name, key: k.key });
              setName('');
              void list.reload();
            } catch (err) {
              fail(err);
            }
          }}
        >
          <Field label="Key name" errors={errorsFor(errors, 'name')}>
            {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Key role" errors={errorsFor(errors, 'role')}>
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value)}>
                <option>viewer</option>
                <option>member</option>
                <option>admin</option>
              </select>
            )}
          </Field>
          <button type="submit" className="primary">
            Create key
          </button>
        </form>
      ) : (
        <p className="muted">Creating and revoking keys needs the admin role.</p>
      )}
      <Alert>{list.error ?? error}</Alert>
      <DataTable
        caption="API keys"
        rows={list.rows}
        rowKey={(k) => k.id}
        columns={[
          { header: 'Name', cell: (k) => k.name },
          { header: 'Key', cell: (k) => <code>{k.prefix}…</code> },
          { header: 'Role', cell: (k) => k.role },
          { header: 'Last used', cell: (k) => fmtTime(k.lastUsedAt) },
          { header: 'Created', cell: (k) => fmtTime(k.createdAt) },
        ]}
        actions={(k) =>
          k.revokedAt ? (
            <Badge tone="danger">revoked</Badge>
          ) : canAdmin ? (
            <ConfirmDelete
              aria-label={`Revoke ${k.name}`}
              confirm={`Revoke ${k.name}? Scripts using it stop working at once.`}
              onDelete={async () => {
                await del(`/api-keys/${k.id}`);
                void list.reload();
              }}
              onError={setError}
            >
              Revoke
            </ConfirmDelete>
          ) : null
        }
      />
      <MoreButton hasMore={list.hasMore} more={list.more} />
    </>
  );
}
