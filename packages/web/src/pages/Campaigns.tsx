import { useState } from 'react';
import { ApiError, api, errorText, get, type Page } from '../api';
import { Link } from '../router';
import { Alert, Badge, DataTable, Field, fmtTime, MoreButton, PageTitle, useCan, usePaged } from '../ui';
import { AgentOptions, useAgents } from './agent-list';

export interface Campaign {
  id: string;
  agentId: string;
  name: string;
  status: 'active' | 'paused' | 'cancelled' | 'completed';
  pausedReason: string | null;
  callerId: string;
  maxConcurrency: number;
  createdAt: string;
}
export interface ImportReport {
  received: number;
  added: number;
  duplicates: number;
  errors: { row: number; field: string; message: string }[];
}

export const statusTone = (s: string) =>
  s === 'active' ? 'ok' : s === 'paused' ? 'warn' : s === 'cancelled' ? 'danger' : 'info';

export function ImportReportView({ report }: { report: ImportReport }) {
  return (
    <div className="panel" data-testid="import-report">
      <p role="status">
        {report.received} rows received, {report.added} added, {report.duplicates} duplicates,{' '}
        {report.errors.length} rejected.
      </p>
      <DataTable
        caption="Rows not imported"
        captionVisible
        rows={report.errors}
        rowKey={(e) => `${e.row}-${e.field}`}
        empty={null}
        columns={[
          { header: 'Row', cell: (e) => `Row ${e.row}` },
          { header: 'Column', cell: (e) => e.field },
          { header: 'Problem', cell: (e) => e.message },
        ]}
      />
    </div>
  );
}

/** A CSV from a file input or pasted text. */
export function CsvInput({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return (
    <>
      <Field label="CSV file">
        {(p) => (
          <input
            {...p}
            type="file"
            accept=".csv,text/csv"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              if (f) onChange(await f.text());
            }}
          />
        )}
      </Field>
      <Field label="Contacts CSV" hint="A phone column plus one column per variable; or choose a file above">
        {(p) => (
          <textarea
            {...p}
            rows={6}
            value={value}
            placeholder={'phone,name\n+14155550101,Ana'}
            onChange={(e) => onChange(e.target.value)}
          />
        )}
      </Field>
    </>
  );
}

export default function Campaigns() {
  const canEdit = useCan('member');
  const list = usePaged<Campaign>((cursor) => get<Page<Campaign>>('/campaigns', { cursor }), []);
  const agents = useAgents();
  const [form, setForm] = useState({ name: '', agentId: '', callerId: '', maxConcurrency: '5', csv: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<{ id: string; import: ImportReport } | null>(null);
  const err = (k: string) => (errors[k] ? [errors[k]] : []);
  return (
    <>
      <PageTitle>Campaigns</PageTitle>
      {canEdit ? (
        <details className="panel" open={!!report}>
          <summary>New campaign from a CSV</summary>
          <form
            onSubmit={async (e) => {
              e.preventDefault();
              setErrors({});
              setError(null);
              setReport(null);
              try {
                const r = await api<{ campaign: Campaign; import: ImportReport }>(
                  'POST',
                  '/campaigns',
                  undefined,
                  {
                    raw: form.csv,
                    contentType: 'text/csv',
                    query: {
                      name: form.name,
                      agentId: form.agentId,
                      callerId: form.callerId,
                      maxConcurrency: form.maxConcurrency,
                    },
                  },
                );
                setReport({ id: r.campaign.id, import: r.import });
                void list.reload();
              } catch (err) {
                if (err instanceof ApiError) {
                  setErrors(
                    Object.fromEntries(
                      err.details.map((d) => [d.path.replace(/^(querystring|body)\.?/, ''), d.message]),
                    ),
                  );
                }
                setError(errorText(err));
              }
            }}
          >
            <Alert>{error}</Alert>
            <div className="grid2">
              <div>
                <Field label="Campaign name" errors={err('name')}>
                  {(p) => (
                    <input
                      {...p}
                      required
                      value={form.name}
                      onChange={(e) => setForm({ ...form, name: e.target.value })}
                    />
                  )}
                </Field>
                <Field label="Agent" errors={err('agentId')} hint="A published agent">
                  {(p) => (
                    <select
                      {...p}
                      required
                      value={form.agentId}
                      onChange={(e) => setForm({ ...form, agentId: e.target.value })}
                    >
                      <option value="">Choose…</option>
                      <AgentOptions agents={agents.list} />
                    </select>
                  )}
                </Field>
                <Field
                  label="Caller ID"
                  errors={err('callerId')}
                  hint="A number or caller-ID pool of the workspace"
                >
                  {(p) => (
                    <input
                      {...p}
                      required
                      value={form.callerId}
                      onChange={(e) => setForm({ ...form, callerId: e.target.value })}
                    />
                  )}
                </Field>
                <Field label="Calls at once" errors={err('maxConcurrency')}>
                  {(p) => (
                    <input
                      {...p}
                      type="number"
                      min={1}
                      value={form.maxConcurrency}
                      onChange={(e) => setForm({ ...form, maxConcurrency: e.target.value })}
                    />
                  )}
                </Field>
              </div>
              <div>
                <CsvInput value={form.csv} onChange={(csv) => setForm({ ...form, csv })} />
              </div>
            </div>
            <button type="submit" className="primary">
              Create campaign and import
            </button>
          </form>
          {report ? (
            <>
              <ImportReportView report={report.import} />
              <Link href={`/campaigns/${report.id}`}>Open the campaign</Link>
            </>
          ) : null}
        </details>
      ) : null}
      <Alert>{list.error}</Alert>
      <DataTable
        caption="Campaigns"
        rows={list.rows}
        rowKey={(c) => c.id}
        columns={[
          { header: 'Name', cell: (c) => <Link href={`/campaigns/${c.id}`}>{c.name}</Link> },
          { header: 'Status', cell: (c) => <Badge tone={statusTone(c.status)}>{c.status}</Badge> },
          { header: 'Agent', cell: (c) => agents.name(c.agentId) ?? c.agentId },
          { header: 'Caller ID', cell: (c) => c.callerId },
          { header: 'Created', cell: (c) => fmtTime(c.createdAt) },
        ]}
      />
      <MoreButton hasMore={list.hasMore} more={list.more} />
      <p className="muted">
        A campaign calls from the moment it is created.{' '}
        <Link href="/calls?direction=outbound">Outbound calls</Link>
      </p>
    </>
  );
}
