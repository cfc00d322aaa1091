import { type RefObject, useEffect, useRef, useState } from 'react';
import { ApiError, get, type Page, post } from '../api';
import { Link } from '../router';
import {
  ActionButton,
  Alert,
  Badge,
  DataTable,
  fmtDuration,
  fmtTime,
  Loading,
  PageTitle,
  useCan,
  useLoad,
} from '../ui';
import { callWaterfall, type TurnMarks } from '../waterfall';
import { type Call, outcomeTone } from './call-types';
import { type Delivery, deliveryTone } from './delivery-types';

interface CallEvent {
  seq: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
}
interface Analysis {
  status: string;
  summary: string | null;
  fields: Record<string, unknown> | null;
  error: string | null;
  completedAt: string | null;
}

export default function CallDetail({ params }: { params: Record<string, string> }) {
  const id = params.id!;
  const call = useLoad(() => get<Call>(`/calls/${id}`), [id]);
  const events = useLoad(() => get<{ data: CallEvent[] }>(`/calls/${id}/events`), [id]);
  const audio = useRef<HTMLAudioElement>(null);
  if (call.error) return <Alert>{call.error}</Alert>;
  if (!call.data) return <Loading what="the call" />;
  const c = call.data;
  const transcript = (events.data?.data ?? []).filter(
    (e) => e.type === 'transcript.final' && e.data.role !== 'tool',
  );
  const seek = (ms: number) => {
    const a = audio.current;
    if (!a) return;
    a.currentTime = Math.max(0, ms / 1000);
    void a.play().catch(() => {});
  };
  return (
    <>
      <PageTitle actions={<Badge tone={outcomeTone(c.outcome)}>{c.outcome ?? c.status}</Badge>}>
        {`Call ${c.direction === 'inbound' ? 'from' : 'to'} ${c.direction === 'inbound' ? c.from : c.to}`}
      </PageTitle>
      <dl className="panel grid2">
        <div>
          <dt>Started</dt>
          <dd>{fmtTime(c.startedAt ?? c.createdAt)}</dd>
          <dt>Duration</dt>
          <dd>{fmtDuration(c.durationMs)}</dd>
          <dt>From → to</dt>
          <dd>
            {c.from} → {c.to} ({c.connector})
          </dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd>
            {c.agentId ? <Link href={`/agents/${c.agentId}`}>agent</Link> : '—'}
            {c.agentVersion ? ` v${c.agentVersion}` : ''}
          </dd>
          <dt>Ended because</dt>
          <dd>{c.endedReason ?? '—'}</dd>
          {c.error ? (
            <>
              <dt>Error</dt>
              <dd>{c.error}</dd>
            </>
          ) : null}
        </div>
      </dl>
      <section className="panel" aria-labelledby="rec-h">
        <h2 id="rec-h">Recording</h2>
        {c.hasRecording ? <Recording callId={c.id} audio={audio} /> : <p className="muted">No recording.</p>}
      </section>
      <section className="panel" aria-labelledby="tr-h">
        <h2 id="tr-h">Transcript</h2>
        {events.error ? <Alert>{events.error}</Alert> : null}
        {!events.data ? <Loading what="the transcript" /> : null}
        {events.data && !transcript.length ? <p className="muted">Nothing was said.</p> : null}
        <ol className="transcript" data-testid="transcript">
          {transcript.map((e) => {
            const startMs = Number(e.data.startMs ?? 0);
            return (
              <li key={e.seq} className={String(e.data.role)}>
                <button
                  type="button"
                  onClick={() => seek(startMs)}
                  aria-label={`Play from ${(startMs / 1000).toFixed(1)} seconds: ${String(e.data.role)} said ${String(e.data.text)}`}
                  disabled={!c.hasRecording}
                >
                  <span className="at">{(startMs / 1000).toFixed(1)}s</span>
                  <strong>{e.data.role === 'agent' ? 'Agent' : 'Caller'}:</strong> {String(e.data.text)}
                  {e.data.interrupted ? <em> (interrupted)</em> : null}
                </button>
              </li>
            );
          })}
        </ol>
      </section>
      <Latency callId={c.id} />
      <AnalysisPanel call={c} />
      <Deliveries callId={c.id} />
      <section className="panel" aria-labelledby="ev-h">
        <h2 id="ev-h">Events</h2>
        <DataTable
          caption="Call events in order"
          rows={events.data?.data ?? []}
          rowKey={(e) => e.seq}
          columns={[
            { header: '#', cell: (e) => e.seq },
            { header: 'Type', cell: (e) => e.type },
            { header: 'Time', cell: (e) => fmtTime(e.at) },
            { header: 'Data', cell: (e) => <code>{JSON.stringify(e.data).slice(0, 200)}</code> },
          ]}
        />
      </section>
    </>
  );
}

/** The audio element and its waveform, drawn on a canvas from the decoded recording; click to seek. */
function Recording({ callId, audio }: { callId: string; audio: RefObject<HTMLAudioElement | null> }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [peaks, setPeaks] = useState<Float32Array | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [position, setPosition] = useState(0);
  const src = `/v1/calls/${callId}/recording`;
  useEffect(() => {
    let cancelled = false;
    (async () => {
      const res = await fetch(src, { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`the recording answered ${res.status}`);
      const bytes = await res.arrayBuffer();
      const ctx = new OfflineAudioContext(1, 1, 8000);
      const buf = await ctx.decodeAudioData(bytes);
      const data = buf.getChannelData(0);
      const columns = 600;
      const out = new Float32Array(columns);
      const per = Math.max(1, Math.floor(data.length / columns));
      for (let c = 0; c < columns; c++) {
        let peak = 0;
        for (let i = c * per; i < Math.min(data.length, (c + 1) * per); i++)
          peak = Math.max(peak, Math.abs(data[i]!));
        out[c] = peak;
      }
      if (!cancelled) setPeaks(out);
    })().catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [src]);
  useEffect(() => {
    const cv = canvas.current;
    if (!cv || !peaks) return;
    const w = cv.clientWidth * devicePixelRatio;
    const h = cv.clientHeight * devicePixelRatio;
    cv.width = w;
    cv.height = h;
    const g = cv.getContext('2d');
    if (!g) return;
    g.clearRect(0, 0, w, h);
    const max = Math.max(0.01, ...peaks);
    const bar = w / peaks.length;
    peaks.forEach((p, i) => {
      const ph = Math.max(1, (p / max) * (h - 4));
      g.fillStyle = i / peaks.length <= position ? '#0b5cad' : '#9fb6cf';
      g.fillRect(i * bar, (h - ph) / 2, Math.max(1, bar - 0.5), ph);
    });
  }, [peaks, position]);
  return (
    <div>
      <Alert>{error}</Alert>
      <canvas
        ref={canvas}
        className="waveform"
        data-testid="waveform"
        role="img"
        aria-label="Waveform of the recording; click to seek"
        onClick={(e) => {
          const a = audio.current;
          if (!a?.duration) return;
          const r = e.currentTarget.getBoundingClientRect();
          a.currentTime = ((e.clientX - r.left) / r.width) * a.duration;
        }}
      />
      {/* biome-ignore lint/a11y/useMediaCaption: the transcript beside it is the caption */}
      <audio
        ref={audio}
        controls
        preload="metadata"
        src={src}
        aria-label="Call recording"
        onTimeUpdate={(e) => {
          const a = e.currentTarget;
          setPosition(a.duration ? a.currentTime / a.duration : 0);
        }}
      />
    </div>
  );
}

function Latency({ callId }: { callId: string }) {
  const lat = useLoad(() => get<{ data: TurnMarks[] }>(`/calls/${callId}/latencies`), [callId]);
  if (lat.error) return <Alert>{lat.error}</Alert>;
  if (!lat.data) return null;
  const { turns, scaleMs } = callWaterfall(lat.data.data);
  return (
    <section className="panel" aria-labelledby="lat-h">
      <h2 id="lat-h">Latency per turn</h2>
      {!turns.length ? (
        <p className="muted">No turn timings were stored for this call.</p>
      ) : (
        <>
          <div className="legend" aria-hidden="true">
            <span>
              <i className="seg-asr" />
              end of speech → ASR final
            </span>
            <span>
              <i className="seg-llm" />→ LLM first token
            </span>
            <span>
              <i className="seg-tts" />→ TTS first audio
            </span>
            <span>
              <i className="seg-wire" />→ audio on the wire
            </span>
          </div>
          <div className="waterfall" data-testid="waterfall">
            {turns.map((t) => (
              <div key={t.turn} style={{ display: 'contents' }}>
                <span>Turn {t.turn}</span>
                <div
                  className="track"
                  role="img"
                  aria-label={`Turn ${t.turn}: ${t.segments.map((s) => `${s.label} ${Math.round(s.durationMs)} ms`).join(', ') || 'no timings'}`}
                >
                  {t.segments.map((s) => (
                    <div
                      key={s.stage}
                      className={`seg seg-${s.stage}`}
                      title={`${s.label}: ${Math.round(s.durationMs)} ms`}
                      style={{
                        left: `${(s.startMs / scaleMs) * 100}%`,
                        width: `${(s.durationMs / scaleMs) * 100}%`,
                      }}
                    />
                  ))}
                </div>
                <span>{t.totalMs === null ? '—' : `${Math.round(t.totalMs)} ms`}</span>
              </div>
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function AnalysisPanel({ call }: { call: Call }) {
  const canRun = useCan('member');
  const a = useLoad(async () => {
    try {
      return await get<Analysis>(`/calls/${call.id}/analysis`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }, [call.id]);
  return (
    <section className="panel" aria-labelledby="an-h">
      <h2 id="an-h">Post-call analysis</h2>
      <Alert>{a.error}</Alert>
      {a.data === null ? <p className="muted">No analysis for this call.</p> : null}
      {a.data ? (
        <>
          <p>
            <Badge tone={a.data.status === 'done' ? 'ok' : a.data.status === 'failed' ? 'danger' : 'info'}>
              {a.data.status}
            </Badge>{' '}
            {a.data.error}
          </p>
          {a.data.summary ? <p>{a.data.summary}</p> : null}
          {a.data.fields ? <pre>{JSON.stringify(a.data.fields, null, 2)}</pre> : null}
        </>
      ) : null}
      {canRun && call.status === 'ended' ? (
        <ActionButton
          onAction={async () => {
            await post(`/calls/${call.id}/analysis`);
            await a.reload();
          }}
        >
          Analyse again
        </ActionButton>
      ) : null}
    </section>
  );
}

function Deliveries({ callId }: { callId: string }) {
  const d = useLoad(() => get<Page<Delivery>>('/deliveries', { callId, limit: 100 }), [callId]);
  return (
    <section className="panel" aria-labelledby="del-h">
      <h2 id="del-h">Webhook deliveries</h2>
      <Alert>{d.error}</Alert>
      {d.data ? (
        <DataTable
          caption="Deliveries of this call's events"
          rows={d.data.data}
          rowKey={(x) => x.id}
          empty={<p className="muted">No deliveries for this call.</p>}
          columns={[
            { header: 'Event', cell: (x) => x.type },
            { header: 'Target', cell: (x) => x.target },
            { header: 'Status', cell: (x) => <Badge tone={deliveryTone(x.status)}>{x.status}</Badge> },
            { header: 'Attempts', cell: (x) => x.attempts },
            { header: 'Last answer', cell: (x) => x.lastStatus ?? x.lastError ?? '—' },
          ]}
        />
      ) : null}
    </section>
  );
}
