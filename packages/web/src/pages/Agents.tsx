import { useState } from 'react';
import { errorText, get, type Page, post } from '../api';
import { Link, navigate } from '../router';
import {
  Alert,
  Badge,
  DataTable,
  Field,
  fmtTime,
  Loading,
  MoreButton,
  PageTitle,
  useCan,
  usePaged,
} from '../ui';
import { type Agent, agentState } from './agent-types';

export default function Agents() {
  const canEdit = useCan('member');
  const [filter, setFilter] = useState('');
  const list = usePaged<Agent>((cursor) => get<Page<Agent>>('/agents', { cursor, name: filter }), [filter]);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <PageTitle>Agents</PageTitle>
      {canEdit ? (
        <form
          className="panel filters"
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              const a = await post<Agent>('/agents', { name });
              navigate(`/agents/${a.id}`);
            } catch (err) {
              setError(errorText(err));
            }
          }}
        >
          <Field label="New agent name" errors={error ? [error] : []}>
            {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <button type="submit" className="primary">
            Create agent
          </button>
        </form>
      ) : null}
      <div className="filters">
        <Field label="Filter by name">
          {(p) => <input {...p} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />}
        </Field>
      </div>
      <Alert>{list.error}</Alert>
      {list.loading && !list.rows.length ? <Loading what="agents" /> : null}
      <DataTable
        caption="Agents"
        rows={list.rows}
        rowKey={(a) => a.id}
        columns={[
          {
            header: 'Name',
            cell: (a) => (
              <>
                <Link href={`/agents/${a.id}`}>{a.name}</Link>
                {a.description ? <div className="muted">{a.description}</div> : null}
              </>
            ),
          },
          {
            header: 'State',
            cell: (a) => {
              const s = agentState(a);
              return <Badge tone={s.tone}>{s.label}</Badge>;
            },
          },
          {
            header: 'Defaults',
            cell: (a) =>
              [a.defaultInbound ? 'inbound' : '', a.defaultOutbound ? 'outbound' : '']
                .filter(Boolean)
                .join(', ') || '—',
          },
          { header: 'Draft edited', cell: (a) => fmtTime(a.draftUpdatedAt) },
        ]}
      />
      <MoreButton hasMore={list.hasMore} more={list.more} />
    </>
  );
}
