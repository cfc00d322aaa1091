/** An agent's published versions: roll back to one, and compare any two or the draft. */
import { type ReactNode, useState } from 'react';
import { errorText, get, type Page, post } from '../../api';
import { type DiffLine, diffLines, stableJson } from '../../diff';
import { Alert, Badge, DataTable, Field, fmtTime, Loading, useCan, useLoad } from '../../ui';
import type { Agent, AgentVersion } from '../agent-types';

export function AgentVersions({ agent, reload }: { agent: Agent; reload: () => Promise<void> }) {
  const canEdit = useCan('member');
  const versions = useLoad(
    () => get<Page<AgentVersion>>(`/agents/${agent.id}/versions`, { limit: 200 }),
    [agent.id, agent.currentVersion],
  );
  const list = versions.data?.data ?? [];
  const [left, setLeft] = useState<string>('');
  const [right, setRight] = useState<string>('');
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const configOf = (key: string) =>
    key === 'draft' ? agent.draft : list.find((v) => String(v.version) === key)?.config;
  const l = left || (list[1] ? String(list[1].version) : list[0] ? String(list[0].version) : '');
  const r = right || (list[0] ? String(list[0].version) : 'draft');
  const from = configOf(l);
  const to = configOf(r);
  const diff = from && to ? diffLines(stableJson(from), stableJson(to)) : [];
  if (versions.error) return <Alert>{versions.error}</Alert>;
  if (!versions.data) return <Loading what="versions" />;
  if (!list.length) return <p>No published version yet: publish the draft to create version 1.</p>;
  const options = [
    <option key="draft" value="draft">
      Current draft
    </option>,
    ...list.map((v) => (
      <option key={v.version} value={String(v.version)}>
        Version {v.version}
      </option>
    )),
  ];
  return (
    <>
      {message ? <Alert kind={message.kind}>{message.text}</Alert> : null}
      <DataTable
        caption="Published versions"
        rows={list}
        rowKey={(v) => v.version}
        columns={[
          {
            header: 'Version',
            cell: (v) => (
              <>
                v{v.version} {v.version === agent.currentVersion ? <Badge tone="ok">live</Badge> : null}
              </>
            ),
          },
          {
            header: 'Note',
            cell: (v) => (
              <>
                {v.note ?? '—'}
                {v.sourceVersion ? <div className="muted">copy of v{v.sourceVersion}</div> : null}
              </>
            ),
          },
          { header: 'Published', cell: (v) => fmtTime(v.createdAt) },
        ]}
        actions={(v) =>
          canEdit && v.version !== agent.currentVersion ? (
            <button
              type="button"
              onClick={async () => {
                try {
                  const nv = await post<AgentVersion>(`/agents/${agent.id}/rollback`, {
                    version: v.version,
                  });
                  setMessage({
                    kind: 'ok',
                    text: `Rolled back: version ${nv.version} is a copy of version ${v.version} and is live.`,
                  });
                  await reload();
                  await versions.reload();
                } catch (e) {
                  setMessage({ kind: 'error', text: errorText(e) });
                }
              }}
            >
              Roll back to v{v.version}
            </button>
          ) : null
        }
      />
      <h2>Compare</h2>
      <div className="filters">
        {(
          [
            ['From', l, setLeft],
            ['To', r, setRight],
          ] as const
        ).map(([label, value, set]) => (
          <Field key={label} label={label}>
            {(p) => (
              <select {...p} value={value} onChange={(e) => set(e.target.value)}>
                {options}
              </select>
            )}
          </Field>
        ))}
      </div>
      <DiffView lines={diff} />
    </>
  );
}

function DiffView({ lines }: { lines: DiffLine[] }) {
  if (!lines.some((x) => x.kind !== 'same')) return <p className="muted">The two are the same.</p>;
  // Changed lines with two lines of context around them.
  const keep = new Set<number>();
  lines.forEach((x, i) => {
    if (x.kind !== 'same') for (let k = i - 2; k <= i + 2; k++) keep.add(k);
  });
  const out: ReactNode[] = [];
  let gap = false;
  lines.forEach((x, i) => {
    if (!keep.has(i)) {
      if (!gap)
        out.push(
          // biome-ignore lint/suspicious/noArrayIndexKey: a diff line's place is its identity
          <div key={`g${i}`} className="muted">
            …
          </div>,
        );
      gap = true;
      return;
    }
    gap = false;
    const sign = x.kind === 'add' ? '+ ' : x.kind === 'del' ? '- ' : '  ';
    out.push(
      // biome-ignore lint/suspicious/noArrayIndexKey: a diff line's place is its identity
      <div key={i} className={x.kind}>
        <span className="sr-only">{x.kind === 'add' ? 'added' : x.kind === 'del' ? 'removed' : ''}</span>
        {sign}
        {x.text}
      </div>,
    );
  });
  return (
    <section className="diff" aria-label="Differences">
      {out}
    </section>
  );
}
