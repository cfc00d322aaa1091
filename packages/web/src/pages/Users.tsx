import { useState } from 'react';
import { del, errorText, get, patch, post, ROLES, type Role } from '../api';
import {
  Alert,
  ConfirmDelete,
  DataTable,
  Field,
  fmtTime,
  PageTitle,
  useCan,
  useFormErrors,
  useLoad,
  useSession,
} from '../ui';
import { errorsFor } from '../validation';

interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  createdAt: string;
}

export default function Users() {
  const canAdmin = useCan('admin');
  const me = useSession();
  const list = useLoad(() => get<{ data: Member[] }>('/users'), []);
  const [form, setForm] = useState({ email: '', name: '', password: '', role: 'member' as Role });
  const { errors, error, setError, clear, fail } = useFormErrors();
  const [done, setDone] = useState<string | null>(null);
  const roleOptions = ROLES.map((r) => <option key={r}>{r}</option>);
  return (
    <>
      <PageTitle>Users</PageTitle>
      {canAdmin ? (
        <form
          className="panel"
          onSubmit={async (e) => {
            e.preventDefault();
            clear();
            setDone(null);
            try {
              const m = await post<Member>('/users', {
                email: form.email,
                role: form.role,
                ...(form.name ? { name: form.name } : {}),
                ...(form.password ? { password: form.password } : {}),
              });
              setDone(`${m.email} was added as ${m.role}.`);
              setForm({ email: '', name: '', password: '', role: 'member' });
              void list.reload();
            } catch (err) {
              fail(err);
            }
          }}
        >
          <h2>Invite a member</h2>
          <Alert>{error}</Alert>
          <Alert kind="ok">{done}</Alert>
          <div className="filters">
            <Field label="Member email" errors={errorsFor(errors, 'email')}>
              {(p) => (
                <input
                  {...p}
                  type="email"
                  required
                  value={form.email}
                  onChange={(e) => setForm({ ...form, email: e.target.value })}
                />
              )}
            </Field>
            <Field label="Member name" errors={errorsFor(errors, 'name')}>
              {(p) => (
                <input
                  {...p}
                  value={form.name}
                  onChange={(e) => setForm({ ...form, name: e.target.value })}
                />
              )}
            </Field>
            <Field
              label="Initial password"
              errors={errorsFor(errors, 'password')}
              hint="12 characters or more; share it with them. A new user without one cannot log in."
            >
              {(p) => (
                <input
                  {...p}
                  type="password"
                  autoComplete="new-password"
                  value={form.password}
                  onChange={(e) => setForm({ ...form, password: e.target.value })}
                />
              )}
            </Field>
            <Field label="Role" errors={errorsFor(errors, 'role')}>
              {(p) => (
                <select
                  {...p}
                  value={form.role}
                  onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
                >
                  {roleOptions}
                </select>
              )}
            </Field>
            <button type="submit" className="primary">
              Add member
            </button>
          </div>
        </form>
      ) : null}
      <Alert>{list.error}</Alert>
      <DataTable
        caption="Members"
        rows={list.data?.data ?? []}
        rowKey={(m) => m.userId}
        columns={[
          { header: 'Email', cell: (m) => m.email },
          { header: 'Name', cell: (m) => m.name ?? '—' },
          {
            header: 'Role',
            cell: (m) =>
              canAdmin ? (
                <select
                  aria-label={`Role of ${m.email}`}
                  value={m.role}
                  onChange={async (e) => {
                    try {
                      await patch(`/users/${m.userId}`, { role: e.target.value });
                      void list.reload();
                    } catch (err) {
                      setError(errorText(err));
                    }
                  }}
                >
                  {roleOptions}
                </select>
              ) : (
                m.role
              ),
          },
          { header: 'Since', cell: (m) => fmtTime(m.createdAt) },
        ]}
        actions={(m) =>
          canAdmin && m.email !== me.email ? (
            <ConfirmDelete
              aria-label={`Remove ${m.email}`}
              confirm={`Remove ${m.email} from this workspace?`}
              onDelete={async () => {
                await del(`/users/${m.userId}`);
                void list.reload();
              }}
              onError={setError}
            >
              Remove
            </ConfirmDelete>
          ) : null
        }
      />
    </>
  );
}
