import { useState } from 'react';
import { ApiError, del, errorText, get, type Page, post } from '../api';
import { Alert, Badge, Field, fmtTime, MoreButton, PageTitle, Secret, useCan, usePaged } from '../ui';
import { errorsFor, type FieldErrors, fieldErrors } from '../validation';

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
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <PageTitle>API keys</PageTitle>
      {created ? <Secret label={`New key "${created.name}"`} value={created.key} /> : null}
      {canAdmin ? (
        <form
          className="panel filters"
          onSubmit={async (e) => {
            e.preventDefault();
            setErrors({});
            setError(null);
            try {
              const k = await post<ApiKey & { key: string }>('/api-keys', { name, role });
              setCreated({ name: k.name, key: k.key });
              setName('');
              void list.reload();
            } catch (err) {
              if (err instanceof ApiError) setErrors(fieldErrors(err.details));
              setError(errorText(err));
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
      <div className="table-wrap">
        <table>
          <caption className="sr-only">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Role</th>
              <th scope="col">Last used</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.rows.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.role}</td>
                <td>{fmtTime(k.lastUsedAt)}</td>
                <td>{fmtTime(k.createdAt)}</td>
                <td>
                  {k.revokedAt ? (
                    <Badge tone="danger">revoked</Badge>
                  ) : canAdmin ? (
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Revoke ${k.name}`}
                      onClick={async () => {
                        if (!window.confirm(`Revoke ${k.name}? Scripts using it stop working at once.`))
                          return;
                        try {
                          await del(`/api-keys/${k.id}`);
                          void list.reload();
                        } catch (err) {
                          setError(errorText(err));
                        }
                      }}
                    >
                      Revoke
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <MoreButton hasMore={list.hasMore} more={list.more} />
    </>
  );
}
