/** The agent editor: the form over the draft document, its JSON view, save, publish and delete. */
import { useEffect, useState } from 'react';
import { ApiError, del, errorText, patch, post } from '../../api';
import { navigate } from '../../router';
import { Alert, ConfirmDelete, Field, useCan } from '../../ui';
import { errorsFor, type FieldErrors, fieldErrors, unclaimed } from '../../validation';
import type { Agent, AgentVersion } from '../agent-types';
import { AGENT_FIELDS, Control, type FieldSpec } from './AgentFields';

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

export function AgentEditor({
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

  /** The API's refusal: its messages beside their fields, and the whole of it on top. */
  const failed = (e: unknown) => {
    if (e instanceof ApiError && e.details.length) setErrors(fieldErrors(e.details));
    setMessage({ kind: 'error', text: errorText(e) });
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
      failed(e);
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
      failed(e);
    }
  };

  const controls = (specs: FieldSpec[]) =>
    specs.map((f) => (
      <Control key={f.path} spec={f} value={value(f.path)} errors={errorsFor(errors, f.path)} set={update} />
    ));
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
        <div>{controls(AGENT_FIELDS.slice(0, 9))}</div>
        <div>
          {controls(AGENT_FIELDS.slice(9))}
          <div className="field">
            {(['inbound', 'outbound'] as const).map((direction) => {
              const key = direction === 'inbound' ? 'defaultInbound' : 'defaultOutbound';
              return (
                <label key={key}>
                  <input
                    type="checkbox"
                    checked={form[key]}
                    onChange={(e) => setForm({ ...form, [key]: e.target.checked })}
                  />{' '}
                  {`Default agent for ${direction} calls`}
                </label>
              );
            })}
          </div>
        </div>
      </fieldset>
      <details className="panel">
        <summary>Whole document (JSON): knowledge, tools, keypad, analysis…</summary>
        <Field
          label="Agent document (JSON)"
          errors={jsonError ? [jsonError] : []}
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
          <ConfirmDelete
            confirm={`Delete agent ${agent.name} and all its versions?`}
            onDelete={async () => {
              await del(`/agents/${agent.id}`);
              navigate('/agents');
            }}
            onError={(text) => setMessage({ kind: 'error', text })}
          >
            Delete agent
          </ConfirmDelete>
        </div>
      ) : (
        <p className="muted">You have the viewer role: you can read this agent but not change it.</p>
      )}
    </form>
  );
}
