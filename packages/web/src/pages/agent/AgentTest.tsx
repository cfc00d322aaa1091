/** Trying an agent out: a browser call to the published version and a text chat. */
import { useEffect, useRef, useState } from 'react';
import { ApiError, errorText, post } from '../../api';
import { Alert, useCan } from '../../ui';
import type { Agent } from '../agent-types';

export function AgentTest({ agent }: { agent: Agent }) {
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
