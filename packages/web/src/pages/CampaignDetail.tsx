import { useState } from 'react';
import { api, get, type Page, post } from '../api';
import { Link } from '../router';
import {
  ActionButton,
  Alert,
  Badge,
  DataTable,
  fmtTime,
  Loading,
  MoreButton,
  PageTitle,
  useCan,
  useLoad,
  usePaged,
} from '../ui';
import { type Campaign, CsvInput, type ImportReport, ImportReportView, statusTone } from './Campaigns';

interface CampaignDetailView extends Campaign {
  windowOpensAt: string | null;
  progress: {
    contacts: Record<string, number>;
    inProgress: number;
    attempts: number;
    outcomes: Record<string, number>;
  };
}
interface Contact {
  id: string;
  rowNumber: number | null;
  phone: string;
  status: string;
  attempts: number;
  lastOutcome: string | null;
  lastCallId: string | null;
  nextAttemptAt: string | null;
}

export default function CampaignDetail({ params }: { params: Record<string, string> }) {
  const id = params.id!;
  const canEdit = useCan('member');
  const c = useLoad(() => get<CampaignDetailView>(`/campaigns/${id}`), [id], 2000);
  const contacts = usePaged<Contact>(
    (cursor) => get<Page<Contact>>(`/campaigns/${id}/contacts`, { cursor }),
    [id],
  );
  const [csv, setCsv] = useState('');
  const [report, setReport] = useState<ImportReport | null>(null);
  if (c.error && !c.data) return <Alert>{c.error}</Alert>;
  if (!c.data) return <Loading what="the campaign" />;
  const x = c.data;
  const total = Object.values(x.progress.contacts).reduce((a, b) => a + b, 0);
  const done = (x.progress.contacts.done ?? 0) + (x.progress.contacts.cancelled ?? 0);
  const act = (verb: 'pause' | 'resume' | 'cancel') => async () => {
    await post(`/campaigns/${id}/${verb}`);
    await c.reload();
  };
  return (
    <>
      <PageTitle actions={<Badge tone={statusTone(x.status)}>{x.status}</Badge>}>{x.name}</PageTitle>
      {x.pausedReason ? <Alert kind="info">Paused: {x.pausedReason}</Alert> : null}
      <section className="panel" aria-labelledby="prog-h">
        <h2 id="prog-h">Progress</h2>
        <label>
          {done} of {total} contacts finished{' '}
          <progress max={Math.max(1, total)} value={done} aria-label="Contacts finished" />
        </label>
        <p>
          In progress: {x.progress.inProgress} · attempts: {x.progress.attempts} · outcomes:{' '}
          {Object.entries(x.progress.outcomes)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'none yet'}
        </p>
        {x.windowOpensAt ? <p>Calling window opens {fmtTime(x.windowOpensAt)}</p> : null}
        {canEdit ? (
          <div className="actions">
            {x.status === 'active' ? <ActionButton onAction={act('pause')}>Pause</ActionButton> : null}
            {x.status === 'paused' ? <ActionButton onAction={act('resume')}>Resume</ActionButton> : null}
            {x.status === 'active' || x.status === 'paused' ? (
              <ActionButton
                className="danger"
                confirm="Cancel the campaign? Pending contacts are not called."
                onAction={act('cancel')}
              >
                Cancel campaign
              </ActionButton>
            ) : null}
          </div>
        ) : null}
      </section>
      {canEdit && (x.status === 'active' || x.status === 'paused') ? (
        <details className="panel">
          <summary>Add contacts from a CSV</summary>
          <CsvInput value={csv} onChange={setCsv} />
          <ActionButton
            onAction={async () => {
              setReport(
                await api<ImportReport>('POST', `/campaigns/${id}/contacts`, undefined, {
                  raw: csv,
                  contentType: 'text/csv',
                }),
              );
              await contacts.reload();
            }}
          >
            Import contacts
          </ActionButton>
          {report ? <ImportReportView report={report} /> : null}
        </details>
      ) : null}
      <h2>Contacts</h2>
      <Alert>{contacts.error}</Alert>
      <DataTable
        caption="Contacts"
        rows={contacts.rows}
        rowKey={(k) => k.id}
        columns={[
          { header: 'Row', cell: (k) => k.rowNumber ?? '—' },
          { header: 'Phone', cell: (k) => k.phone },
          { header: 'Status', cell: (k) => k.status },
          { header: 'Attempts', cell: (k) => k.attempts },
          {
            header: 'Last outcome',
            cell: (k) =>
              k.lastCallId ? (
                <Link href={`/calls/${k.lastCallId}`}>{k.lastOutcome ?? 'call'}</Link>
              ) : (
                (k.lastOutcome ?? '—')
              ),
          },
          { header: 'Next attempt', cell: (k) => fmtTime(k.nextAttemptAt) },
        ]}
      />
      <MoreButton hasMore={contacts.hasMore} more={contacts.more} />
    </>
  );
}
