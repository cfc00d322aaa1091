import { get, type Page } from '../api';
import { Link, navigate, useLocation } from '../router';
import {
  Alert,
  Badge,
  DataTable,
  Field,
  fmtDuration,
  fmtTime,
  Loading,
  MoreButton,
  PageTitle,
  usePaged,
} from '../ui';
import { AgentOptions, useAgents } from './agent-list';
import { type Call, OUTCOMES, outcomeTone, STATUSES } from './call-types';

const FILTERS = ['direction', 'outcome', 'status', 'agentId', 'number', 'since', 'until'] as const;

/** The filters live in the address, so a filtered list can be bookmarked and survives a reload. */
export default function Calls() {
  const { path, query } = useLocation();
  const f = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Record<
    (typeof FILTERS)[number],
    string
  >;
  const setFilter = (k: string, v: string) => {
    const q = new URLSearchParams(query);
    if (v) q.set(k, v);
    else q.delete(k);
    navigate(`${path}${q.size ? `?${q}` : ''}`, { replace: true });
  };
  const agents = useAgents();
  const iso = (d: string) => (d ? new Date(d).toISOString() : undefined);
  const list = usePaged<Call>(
    (cursor) =>
      get<Page<Call>>('/calls', {
        cursor,
        limit: 50,
        direction: f.direction,
        outcome: f.outcome,
        status: f.status,
        agentId: f.agentId,
        number: f.number.trim(),
        since: iso(f.since),
        until: iso(f.until),
      }),
    [query.toString()],
  );
  return (
    <>
      <PageTitle>Calls</PageTitle>
      <fieldset className="filters">
        <legend className="sr-only">Filter calls</legend>
        <Field label="Direction">
          {(p) => (
            <select {...p} value={f.direction} onChange={(e) => setFilter('direction', e.target.value)}>
              <option value="">Any</option>
              <option>inbound</option>
              <option>outbound</option>
            </select>
          )}
        </Field>
        <Field label="Outcome">
          {(p) => (
            <select {...p} value={f.outcome} onChange={(e) => setFilter('outcome', e.target.value)}>
              <option value="">Any</option>
              {OUTCOMES.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Status">
          {(p) => (
            <select {...p} value={f.status} onChange={(e) => setFilter('status', e.target.value)}>
              <option value="">Any</option>
              {STATUSES.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Agent">
          {(p) => (
            <select {...p} value={f.agentId} onChange={(e) => setFilter('agentId', e.target.value)}>
              <option value="">Any</option>
              <AgentOptions agents={agents.list} />
            </select>
          )}
        </Field>
        <Field label="Number (from or to)">
          {(p) => (
            <input
              {...p}
              type="search"
              defaultValue={f.number}
              onKeyDown={(e) => {
                if (e.key === 'Enter') setFilter('number', e.currentTarget.value);
              }}
              onBlur={(e) => setFilter('number', e.target.value)}
            />
          )}
        </Field>
        <Field label="From">
          {(p) => (
            <input
              {...p}
              type="datetime-local"
              value={f.since}
              onChange={(e) => setFilter('since', e.target.value)}
            />
          )}
        </Field>
        <Field label="Until">
          {(p) => (
            <input
              {...p}
              type="datetime-local"
              value={f.until}
              onChange={(e) => setFilter('until', e.target.value)}
            />
          )}
        </Field>
      </fieldset>
      <Alert>{list.error}</Alert>
      {list.loading && !list.rows.length ? <Loading what="calls" /> : null}
      {!list.loading && !list.rows.length && !list.error ? <p>No calls match.</p> : null}
      <DataTable
        caption="Calls, newest first"
        rows={list.rows}
        rowKey={(c) => c.id}
        columns={[
          { header: 'Time', cell: (c) => <Link href={`/calls/${c.id}`}>{fmtTime(c.createdAt)}</Link> },
          { header: 'Direction', cell: (c) => c.direction },
          { header: 'Agent', cell: (c) => agents.name(c.agentId) ?? '—' },
          { header: 'Number', cell: (c) => (c.direction === 'inbound' ? c.from : c.to) },
          {
            header: 'Outcome',
            cell: (c) => <Badge tone={outcomeTone(c.outcome)}>{c.outcome ?? c.status}</Badge>,
          },
          { header: 'Duration', cell: (c) => fmtDuration(c.durationMs) },
        ]}
      />
      <MoreButton hasMore={list.hasMore} more={list.more} />
    </>
  );
}
