import { useState } from 'react';
import { del, errorText, get, type Page, patch, post } from '../api';
import {
  Alert,
  ConfirmDelete,
  DataTable,
  Field,
  MoreButton,
  PageTitle,
  useCan,
  useFormErrors,
  usePaged,
} from '../ui';
import { errorsFor } from '../validation';
import { AgentOptions, useAgents } from './agent-list';

interface PhoneNumber {
  id: string;
  number: string;
  connector: string;
  agentId: string | null;
  label: string | null;
  configUrl: string | null;
}
const CONNECTORS = ['sip', 'twilio', 'plivo', 'telnyx', 'asterisk', 'web'];

export default function Numbers() {
  const canEdit = useCan('member');
  const canAdmin = useCan('admin');
  const list = usePaged<PhoneNumber>((cursor) => get<Page<PhoneNumber>>('/phone-numbers', { cursor }), []);
  const agents = useAgents();
  const [form, setForm] = useState({ number: '', connector: 'sip', agentId: '', label: '' });
  const { errors, error, setError, clear, fail } = useFormErrors();
  const agentOptions = (
    <>
      <option value="">Default inbound agent</option>
      <AgentOptions agents={agents.list} />
    </>
  );
  return (
    <>
      <PageTitle>Phone numbers</PageTitle>
      {canEdit ? (
        <form
          className="panel filters"
          onSubmit={async (e) => {
            e.preventDefault();
            clear();
            try {
              await post('/phone-numbers', {
                number: form.number,
                connector: form.connector,
                agentId: form.agentId || null,
                label: form.label || null,
              });
              setForm({ ...form, number: '', label: '' });
              void list.reload();
            } catch (err) {
              fail(err);
            }
          }}
        >
          <Field label="Number" errors={errorsFor(errors, 'number')} hint="E.164, e.g. +14155550123">
            {(p) => (
              <input
                {...p}
                required
                value={form.number}
                onChange={(e) => setForm({ ...form, number: e.target.value })}
              />
            )}
          </Field>
          <Field label="Connector" errors={errorsFor(errors, 'connector')}>
            {(p) => (
              <select
                {...p}
                value={form.connector}
                onChange={(e) => setForm({ ...form, connector: e.target.value })}
              >
                {CONNECTORS.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Answered by" errors={errorsFor(errors, 'agentId')}>
            {(p) => (
              <select
                {...p}
                value={form.agentId}
                onChange={(e) => setForm({ ...form, agentId: e.target.value })}
              >
                {agentOptions}
              </select>
            )}
          </Field>
          <Field label="Label" errors={errorsFor(errors, 'label')}>
            {(p) => (
              <input
                {...p}
                value={form.label}
                onChange={(e) => setForm({ ...form, label: e.target.value })}
              />
            )}
          </Field>
          <button type="submit" className="primary">
            Add number
          </button>
        </form>
      ) : null}
      <Alert>{list.error ?? error}</Alert>
      <DataTable
        caption="Phone numbers"
        rows={list.rows}
        rowKey={(n) => n.id}
        columns={[
          { header: 'Number', cell: (n) => n.number },
          { header: 'Connector', cell: (n) => n.connector },
          {
            header: 'Answered by',
            cell: (n) =>
              canEdit ? (
                <select
                  aria-label={`Agent answering ${n.number}`}
                  value={n.agentId ?? ''}
                  onChange={async (e) => {
                    try {
                      await patch(`/phone-numbers/${n.id}`, { agentId: e.target.value || null });
                      void list.reload();
                    } catch (err) {
                      setError(errorText(err));
                    }
                  }}
                >
                  {agentOptions}
                </select>
              ) : (
                (agents.name(n.agentId) ?? 'Default inbound agent')
              ),
          },
          { header: 'Label', cell: (n) => n.label ?? '—' },
        ]}
        actions={(n) =>
          canAdmin ? (
            <ConfirmDelete
              aria-label={`Delete ${n.number}`}
              confirm={`Delete ${n.number}?`}
              onDelete={async () => {
                await del(`/phone-numbers/${n.id}`);
                void list.reload();
              }}
              onError={setError}
            />
          ) : null
        }
      />
      <MoreButton hasMore={list.hasMore} more={list.more} />
    </>
  );
}
