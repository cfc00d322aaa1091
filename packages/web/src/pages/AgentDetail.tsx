import { type ReactNode, useEffect, useRef, useState } from 'react';
import { ApiError, del, errorText, get, type Page, patch, post } from '../api';
import { diffLines, stableJson } from '../diff';
import { navigate } from '../router';
import { Alert, Badge, Field, fmtTime, Loading, PageTitle, useCan, useLoad } from '../ui';
import { errorsFor, type FieldErrors, fieldErrors, unclaimed } from '../validation';
import { type Agent, type AgentVersion, agentState } from './agent-types';
import { VapiSyncPanel } from './VapiSyncPanel';

type Kind = 'text' | 'textarea' | 'number' | 'select' | 'chain' | 'lines' | 'checkbox';
interface FieldSpec {
  path: string;
  label: string;
  kind: Kind;
  options?: string[];
  hint?: string;
}

/** The editor's controls, by their path in the request body (`config.…` for the agent document). */
export const AGENT_FIELDS: FieldSpec[] = [
  { path: 'name', label: 'Name', kind: 'text' },
  { path: 'description', label: 'Description', kind: 'text' },
  { path: 'config.mode', label: 'Mode', kind: 'select', options: ['cascaded', 'sts'] },
  { path: 'config.greeting', label: 'Greeting', kind: 'textarea', hint: 'Said when the call connects' },
  { path: 'config.systemPrompt', label: 'System prompt', kind: 'textarea' },
  { path: 'config.language', label: 'Language', kind: 'text', hint: 'A BCP 47 tag such as en-US' },
  { path: 'config.voice', label: 'Voice', kind: 'text', hint: 'Provider-specific, e.g. en-us or alloy' },
  {
    path: 'config.providers.asr',
    label: 'Speech recognition providers',
    kind: 'chain',
    hint: 'Provider ids or local:… names, comma-separated; the rest are fallbacks',
  },
  { path: 'config.providers.llm', label: 'Language model providers', kind: 'chain' },
  { path: 'config.providers.tts', label: 'Speech synthesis providers', kind: 'chain' },
  { path: 'config.providers.sts', label: 'Speech-to-speech providers (mode sts)', kind: 'chain' },
  { path: 'config.turnTaking.endOfTurnSilenceMs', label: 'End-of-turn silence (ms)', kind: 'number' },
  { path: 'config.maxDurationSeconds', label: 'Maximum call length (s)', kind: 'number' },
  { path: 'config.goodbyeMessage', label: 'Goodbye message', kind: 'text' },
  {
    path: 'config.expectedPhrases',
    label: 'Expected phrases',
    kind: 'lines',
    hint: 'One a line; the built-in recogniser listens for these',
  },
  { path: 'config.recording.enabled', label: 'Record calls', kind: 'checkbox' },
  { path: 'config.webhookUrl', label: 'Agent webhook URL', kind: 'text' },
  { path: 'config.configUrl', label: 'Per-call configuration URL', kind: 'text' },
];

type Doc = Record<string, unknown>;
const getIn = (o: unknown, path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Doc)[k] : undefined), o);
function setIn(o: Doc, path: string[], value: unknown): Doc {
  const [k, ...rest] = path;
  if (!k) return o;
  const inner = (o[k] && typeof o[k] === 'object' ? o[k] : {}) as Doc;
  return { ...o, [k]: rest.length ? setIn(inner, rest, value) : value };
}

interface Form {
  name: string;
  description: string;
  config: Doc;
  defaultInbound: boolean;
  defaultOutbound: boolean;
}
const formOf = (a: Agent): Form => ({
  name: a.name,
  description: a.description ?? '',
  config: a.draft,
  defaultInbound: a.defaultInbound,
  defaultOutbound: a.defaultOutbound,
});

export default function AgentDetail({ params }: { params: Record<string, string> }) {
  const id = params.id!;
  const agent = useLoad(() => get<Agent>(`/agents/${id}`), [id]);
  const [tab, setTab] = useState<'editor' | 'versions' | 'test'>('editor');
  if (agent.error) return <Alert>{agent.error}</Alert>;
  if (!agent.data) return <Loading what="the agent" />;
  const a = agent.data;
  const s = agentState(a);
  const tabs = [
    ['editor', 'Editor'],
    ['versions', 'Versions'],
    ['test', 'Test'],
  ] as const;
  return (
    <>
      <PageTitle actions={<Badge tone={s.tone}>{s.label}</Badge>}>{a.name}</PageTitle>
      {a.runOnVapi ? <VapiSyncPanel agentId={a.id} version={a.currentVersion} /> : null}
      <div className="tabs" role="tablist" aria-label="Agent">
        {tabs.map(([k, label]) => (
          <button
            key={k}
            type="button"
            role="tab"
            className="tab"
            id={`tab-${k}`}
            aria-selected={tab === k}
            aria-controls={`panel-${k}`}
            onClick={() => setTab(k)}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'editor' ? (
          <Editor agent={a} onSaved={(x) => agent.setData(x)} reload={agent.reload} />
        ) : null}
        {tab === 'versions' ? <Versions agent={a} reload={agent.reload} /> : null}
        {tab === 'test' ? <TestPanel agent={a} /> : null}
      </div>
    </>
  );
}

function Editor({
  agent,
  onSaved,
  reload,
}: {
  agent: Agent;
  onSaved: (a: Agent) => void;
  reload: () => Promise<void>;
}) {
  const canEdit = useCan('member');
  const [form, setForm] = useState<Form>(() => formOf(agent));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [json, setJson] = useState(() => JSON.stringify(agent.draft, null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setJson(JSON.stringify(form.config, null, 2));
  }, [form.config]);

  const value = (path: string): unknown => {
    const [head, ...rest] = path.split('.');
    if (head === 'config') return getIn(form.config, rest);
    return form[head as 'name' | 'description'];
  };
  const update = (path: string, v: unknown) => {
    const [head, ...rest] = path.split('.');
    if (head === 'config') setForm({ ...form, config: setIn(form.config, rest, v) });
    else setForm({ ...form, [head!]: v });
  };

  const save = async (): Promise<boolean> => {
    setBusy(true);
    setMessage(null);
    try {
      const saved = await patch<Agent>(`/agents/${agent.id}`, {
        name: form.name,
        description: form.description.trim() ? form.description : null,
        config: form.config,
        defaultInbound: form.defaultInbound,
        defaultOutbound: form.defaultOutbound,
      });
      setErrors({});
      setForm(formOf(saved));
      onSaved(saved);
      setMessage({ kind: 'ok', text: 'Draft saved. Calls use it once you publish.' });
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.details.length) setErrors(fieldErrors(e.details));
      setMessage({ kind: 'error', text: errorText(e) });
      return false;
    } finally {
      setBusy(false);
    }
  };
  const publish = async () => {
    if (!(await save())) return;
    try {
      const v = await post<AgentVersion>(`/agents/${agent.id}/publish`, note.trim() ? { note } : {});
      setNote('');
      await reload();
      setMessage({ kind: 'ok', text: `Published version ${v.version}; the next call uses it.` });
    } catch (e) {
      if (e instanceof ApiError && e.details.length) setErrors(fieldErrors(e.details));
      setMessage({ kind: 'error', text: errorText(e) });
    }
  };

  const others = unclaimed(
    errors,
    AGENT_FIELDS.map((f) => f.path),
  );
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {message ? <Alert kind={message.kind}>{message.text}</Alert> : null}
      {others.length ? (
        <Alert>
          <ul>
            {others.map((o) => (
              <li key={o}>{o}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
      <fieldset className="panel grid2" disabled={!canEdit}>
        <legend className="sr-only">Agent document</legend>
        <div>
          {AGENT_FIELDS.slice(0, 9).map((f) => (
            <Control
              key={f.path}
              spec={f}
              value={value(f.path)}
              errors={errorsFor(errors, f.path)}
              set={update}
            />
          ))}
        </div>
        <div>
          {AGENT_FIELDS.slice(9).map((f) => (
            <Control
              key={f.path}
              spec={f}
              value={value(f.path)}
              errors={errorsFor(errors, f.path)}
              set={update}
            />
          ))}
          <div className="field">
            <label>
              <input
                type="checkbox"
                checked={form.defaultInbound}
                onChange={(e) => setForm({ ...form, defaultInbound: e.target.checked })}
              />{' '}
              Default agent for inbound calls
            </label>
            <label>
              <input
                type="checkbox"
                checked={form.defaultOutbound}
                onChange={(e) => setForm({ ...form, defaultOutbound: e.target.checked })}
              />{' '}
              Default agent for outbound calls
            </label>
          </div>
        </div>
      </fieldset>
      <details className="panel">
        <summary>Whole document (JSON): knowledge, tools, keypad, analysis…</summary>
        <Field
          label="Agent document (JSON)"
          errors={[...(jsonError ? [jsonError] : []), ...errorsFor(errors, 'config').filter(() => false)]}
          hint="Edit, then apply to the form; saving sends the whole document"
        >
          {(p) => (
            <textarea
              {...p}
              rows={16}
              readOnly={!canEdit}
              value={json}
              onChange={(e) => setJson(e.target.value)}
            />
          )}
        </Field>
        {canEdit ? (
          <button
            type="button"
            onClick={() => {
              try {
                const parsed = JSON.parse(json) as unknown;
                if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
                  throw new Error('the document must be a JSON object');
                }
                setForm({ ...form, config: parsed as Doc });
                setJsonError(null);
              } catch (e) {
                setJsonError(e instanceof Error ? e.message : String(e));
              }
            }}
          >
            Apply JSON to the form
          </button>
        ) : null}
      </details>
      {canEdit ? (
        <div className="panel actions">
          <button type="submit" className="primary" disabled={busy}>
            Save draft
          </button>
          <Field label="Publish note (optional)">
            {(p) => <input {...p} value={note} onChange={(e) => setNote(e.target.value)} />}
          </Field>
          <button type="button" onClick={() => void publish()} disabled={busy}>
            Publish
          </button>
          <button
            type="button"
            className="danger"
            onClick={async () => {
              if (!window.confirm(`Delete agent ${agent.name} and all its versions?`)) return;
              try {
                await del(`/agents/${agent.id}`);
                navigate('/agents');
              } catch (e) {
                setMessage({ kind: 'error', text: errorText(e) });
              }
            }}
          >
            Delete agent
          </button>
        </div>
      ) : (
        <p className="muted">You have the viewer role: you can read this agent but not change it.</p>
      )}
    </form>
  );
}

function Control({
  spec,
  value,
  errors,
  set,
}: {
  spec: FieldSpec;
  value: unknown;
  errors: string[];
  set: (path: string, v: unknown) => void;
}) {
  const optionalString = (v: string) => (v === '' && spec.path !== 'name' ? null : v);
  if (spec.kind === 'checkbox') {
    return (
      <div className={`field${errors.length ? ' field-invalid' : ''}`}>
        <label>
          <input
            type="checkbox"
            checked={value === true}
            onChange={(e) => set(spec.path, e.target.checked)}
          />{' '}
          {spec.label}
        </label>
        {errors.length ? (
          <ul className="field-errors">
            {errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        ) : null}
      </div>
    );
  }
  return (
    <Field label={spec.label} errors={errors} hint={spec.hint}>
      {(p) => {
        switch (spec.kind) {
          case 'textarea':
            return (
              <textarea
                {...p}
                rows={spec.path.endsWith('systemPrompt') ? 6 : 2}
                value={typeof value === 'string' ? value : ''}
                onChange={(e) => set(spec.path, optionalString(e.target.value))}
              />
            );
          case 'select':
            return (
              <select {...p} value={String(value ?? '')} onChange={(e) => set(spec.path, e.target.value)}>
                {spec.options!.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            );
          case 'number':
            return (
              <input
                {...p}
                type="number"
                value={typeof value === 'number' ? value : ''}
                onChange={(e) => set(spec.path, e.target.value === '' ? null : Number(e.target.value))}
              />
            );
          case 'chain':
            return (
              <input
                {...p}
                value={Array.isArray(value) ? value.join(', ') : ''}
                onChange={(e) => {
                  const items = e.target.value
                    .split(',')
                    .map((x) => x.trim())
                    .filter(Boolean);
                  set(spec.path, items.length ? items : null);
                }}
              />
            );
          case 'lines':
            return (
              <textarea
                {...p}
                rows={3}
                value={Array.isArray(value) ? value.join('\n') : ''}
                onChange={(e) =>
                  set(
                    spec.path,
                    e.target.value.split('\n').filter((x) => x.trim()),
                  )
                }
              />
            );
          default:
            return (
              <input
                {...p}
                value={typeof value === 'string' ? value : ''}
                onChange={(e) => set(spec.path, optionalString(e.target.value))}
              />
            );
        }
      }}
    </Field>
  );
}

function Versions({ agent, reload }: { agent: Agent; reload: () => Promise<void> }) {
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
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Published versions</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Note</th>
              <th scope="col">Published</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.version}>
                <td>
                  v{v.version} {v.version === agent.currentVersion ? <Badge tone="ok">live</Badge> : null}
                </td>
                <td>
                  {v.note ?? '—'}
                  {v.sourceVersion ? <div className="muted">copy of v{v.sourceVersion}</div> : null}
                </td>
                <td>{fmtTime(v.createdAt)}</td>
                <td>
                  {canEdit && v.version !== agent.currentVersion ? (
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
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Compare</h2>
      <div className="filters">
        <Field label="From">
          {(p) => (
            <select {...p} value={l} onChange={(e) => setLeft(e.target.value)}>
              {options}
            </select>
          )}
        </Field>
        <Field label="To">
          {(p) => (
            <select {...p} value={r} onChange={(e) => setRight(e.target.value)}>
              {options}
            </select>
          )}
        </Field>
      </div>
      <DiffView lines={diff} />
    </>
  );
}

function DiffView({ lines }: { lines: ReturnType<typeof diffLines> }) {
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

function TestPanel({ agent }: { agent: Agent }) {
  const canTest = useCan('member');
  const [talkUrl, setTalkUrl] = useState<string | null>(null);
  const [talkError, setTalkError] = useState<string | null>(null);
  if (!canTest) return <p>Testing an agent needs the member role.</p>;
  return (
    <div className="grid2">
      <section className="panel" aria-labelledby="talk-h">
        <h2 id="talk-h">Talk (browser call)</h2>
        <p className="muted">Calls the published version with your microphone: live transcript and level.</p>
        <Alert>{talkError}</Alert>
        {talkUrl ? (
          <iframe
            className="talk-frame"
            title={`Browser call to ${agent.name}`}
            src={talkUrl}
            allow="microphone; autoplay"
          />
        ) : (
          <button
            type="button"
            className="primary"
            disabled={agent.currentVersion === null}
            onClick={async () => {
              try {
                const t = await post<{ url: string }>(`/agents/${agent.id}/talk-token`);
                const u = new URL(t.url, location.href);
                setTalkUrl(`${u.pathname}${u.search}`);
              } catch (e) {
                setTalkError(errorText(e));
              }
            }}
          >
            Talk
          </button>
        )}
        {agent.currentVersion === null ? <p className="muted">Publish the agent first.</p> : null}
      </section>
      <TestChat agent={agent} />
    </div>
  );
}

interface ChatReply {
  sessionId: string;
  greeting: string | null;
  reply: string | null;
  toolCalls: { name: string; ok: boolean }[];
  ended: boolean;
}

function TestChat({ agent }: { agent: Agent }) {
  const [lines, setLines] = useState<{ id: number; who: 'agent' | 'you' | 'tool'; text: string }[]>([]);
  const nextId = useRef(0);
  const [sessionId, setSessionId] = useState<string | undefined>();
  const [draft, setDraft] = useState(true);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const end = useRef<HTMLDivElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: scrolls to the newest line whenever one is added
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [lines]);
  const send = async (message?: string) => {
    setBusy(true);
    setError(null);
    try {
      const r = await post<ChatReply>(`/agents/${agent.id}/test-chat`, {
        ...(sessionId ? { sessionId } : { draft }),
        ...(message ? { message } : {}),
      });
      const add: typeof lines = [];
      const push = (who: 'agent' | 'you' | 'tool', text: string) =>
        add.push({ id: nextId.current++, who, text });
      if (message) push('you', message);
      if (r.greeting) push('agent', r.greeting);
      for (const t of r.toolCalls) push('tool', `tool ${t.name} ${t.ok ? 'ran' : 'failed'}`);
      if (r.reply) push('agent', r.reply);
      if (r.ended) push('tool', 'The agent ended the chat.');
      setLines((l) => [...l, ...add]);
      setSessionId(r.ended ? undefined : r.sessionId);
    } catch (e) {
      setError(errorText(e));
      if (e instanceof ApiError && e.status === 404) setSessionId(undefined);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="chat-h">
      <h2 id="chat-h">Text test chat</h2>
      <label>
        <input
          type="checkbox"
          checked={draft}
          disabled={!!sessionId}
          onChange={(e) => setDraft(e.target.checked)}
        />{' '}
        Use the unpublished draft
      </label>
      <div className="chat" aria-live="polite" data-testid="chat-log">
        {lines.map((l) => (
          <div key={l.id} className={`msg ${l.who === 'you' ? 'you' : 'agent'}`}>
            <span className="sr-only">{l.who === 'you' ? 'You' : 'Agent'}: </span>
            {l.text}
          </div>
        ))}
        <div ref={end} />
      </div>
      <Alert>{error}</Alert>
      <form
        className="actions"
        onSubmit={(e) => {
          e.preventDefault();
          const m = text.trim();
          if (!m) return;
          setText('');
          void send(m);
        }}
      >
        <label className="sr-only" htmlFor="chat-input">
          Message
        </label>
        <input id="chat-input" value={text} onChange={(e) => setText(e.target.value)} disabled={busy} />
        <button type="submit" disabled={busy}>
          Send
        </button>
        {sessionId ? (
          <button
            type="button"
            onClick={() => {
              setSessionId(undefined);
              setLines([]);
            }}
          >
            New chat
          </button>
        ) : null}
      </form>
    </section>
  );
}
