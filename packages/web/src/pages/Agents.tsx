import { useState } from 'react';
import { errorText, get, type Page, post } from '../api';
import { Link, navigate } from '../router';
import { Alert, Badge, Field, fmtTime, Loading, MoreButton, PageTitle, useCan, usePaged } from '../ui';
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
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Agents</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Defaults</th>
              <th scope="col">Draft edited</th>
            </tr>
          </thead>
          <tbody>
            {list.rows.map((a) => {
              const s = agentState(a);
              return (
                <tr key={a.id}>
                  <td>
                    <Link href={`/agents/${a.id}`}>{a.name}</Link>
                    {a.description ? <div className="muted">{a.description}</div> : null}
                  </td>
                  <td>
                    <Badge tone={s.tone}>{s.label}</Badge>
                  </td>
                  <td>
                    {[a.defaultInbound ? 'inbound' : '', a.defaultOutbound ? 'outbound' : '']
                      .filter(Boolean)
                      .join(', ') || '—'}
                  </td>
                  <td>{fmtTime(a.draftUpdatedAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <MoreButton hasMore={list.hasMore} more={list.more} />
    </>
  );
}
