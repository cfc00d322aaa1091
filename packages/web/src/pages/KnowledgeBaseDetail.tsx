import { useState } from 'react';
import { api, del, get, type Page, patch, post } from '../api';
import {
  Alert,
  Badge,
  ConfirmDelete,
  DataTable,
  Field,
  Loading,
  PageTitle,
  useCan,
  useFormErrors,
  useLoad,
} from '../ui';
import { errorsFor } from '../validation';
import type { KbDocument, KbEmbeddings, KbHit, KnowledgeBase } from './kb-types';

interface Provider {
  id: string;
  name: string;
  kind: string;
  type: string;
}

/** Whether the passages wait for their embeddings: the page then polls the progress. */
const embedding = (kb: KnowledgeBase | undefined) => kb?.embeddings?.state === 'embedding';

export default function KnowledgeBaseDetail({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const canAdmin = useCan('admin');
  const [polling, setPolling] = useState(false);
  const kb = useLoad(() => get<KnowledgeBase>(`/knowledge-bases/${id}`), [id], polling ? 2000 : undefined);
  const docs = useLoad(() => get<Page<KbDocument>>(`/knowledge-bases/${id}/documents`), [id]);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [uploading, setUploading] = useState(false);
  if (embedding(kb.data) !== polling) setPolling(embedding(kb.data));
  if (!kb.data) return kb.error ? <Alert>{kb.error}</Alert> : <Loading what="the knowledge base" />;
  const base = kb.data;
  const upload = async (file: File) => {
    setUploading(true);
    setUploadError(null);
    try {
      const doc = await api<KbDocument>('POST', `/knowledge-bases/${id}/documents`, undefined, {
        query: { name: file.name },
        raw: file,
        contentType: 'application/octet-stream',
      });
      if (doc.status === 'failed') setUploadError(`${doc.sourceName}: ${doc.error}`);
      await Promise.all([docs.reload(), kb.reload()]);
    } catch (e) {
      setUploadError(e instanceof Error ? e.message : String(e));
    } finally {
      setUploading(false);
    }
  };
  return (
    <>
      <PageTitle>{base.name}</PageTitle>
      {base.description ? <p className="muted">{base.description}</p> : null}
      <EmbeddingsPanel kb={base} canAdmin={canAdmin} onChange={(next) => kb.setData(next)} />
      <h2>Documents</h2>
      {canAdmin ? (
        <div className="panel filters">
          <Field label="Upload a document (.txt, .md, .html, .pdf, .docx)">
            {(p) => (
              <input
                {...p}
                type="file"
                accept=".txt,.md,.markdown,.html,.htm,.pdf,.docx"
                disabled={uploading}
                onChange={(e) => {
                  const f = e.target.files?.[0];
                  if (f) void upload(f);
                  e.target.value = '';
                }}
              />
            )}
          </Field>
          {uploading ? <span className="muted">Reading and indexing…</span> : null}
        </div>
      ) : null}
      {canAdmin ? (
        <CrawlPanel
          id={id}
          onDone={async () => {
            await Promise.all([docs.reload(), kb.reload()]);
          }}
        />
      ) : null}
      <Alert>{docs.error ?? uploadError}</Alert>
      <DataTable
        caption="Documents"
        empty={<p className="muted">No documents yet.</p>}
        rows={docs.data?.data ?? []}
        rowKey={(d) => d.id}
        columns={[
          { header: 'Name', cell: (d) => d.sourceName },
          {
            header: 'Status',
            cell: (d) => (
              <Badge tone={d.status === 'ready' ? 'ok' : d.status === 'failed' ? 'danger' : 'neutral'}>
                {d.status}
              </Badge>
            ),
          },
          { header: 'Passages', cell: (d) => d.chunkCount },
          { header: 'Why it failed', cell: (d) => d.error ?? '' },
        ]}
        actions={(d) =>
          canAdmin ? (
            <ConfirmDelete
              aria-label={`Delete ${d.sourceName}`}
              confirm={`Delete ${d.sourceName} and its passages?`}
              onDelete={async () => {
                await del(`/knowledge-bases/${id}/documents/${d.id}`);
                await Promise.all([docs.reload(), kb.reload()]);
              }}
              onError={setUploadError}
            >
              Delete
            </ConfirmDelete>
          ) : null
        }
      />
      <SearchPanel id={id} />
    </>
  );
}

interface CrawlAnswer {
  indexed: number;
  failed: number;
  skipped: number;
  pages: { url: string; status: 'indexed' | 'failed' | 'skipped'; reason?: string }[];
}

/** A one-off crawl of web pages on their own site; each page read becomes a document. */
function CrawlPanel({ id, onDone }: { id: string; onDone: () => Promise<void> }) {
  const [urls, setUrls] = useState('');
  const [maxPages, setMaxPages] = useState(25);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<CrawlAnswer | null>(null);
  const { errors, error, clear, fail } = useFormErrors();
  return (
    <form
      className="panel filters"
      aria-label="Crawl web pages"
      onSubmit={async (ev) => {
        ev.preventDefault();
        clear();
        setBusy(true);
        try {
          const list = urls
            .split(/\s+/)
            .map((u) => u.trim())
            .filter(Boolean);
          setAnswer(await post<CrawlAnswer>(`/knowledge-bases/${id}/crawl`, { urls: list, maxPages }));
          await onDone();
        } catch (err) {
          fail(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Field
        label="Crawl web pages (one URL per line)"
        hint="Reads these pages and the pages they link to on the same site, once"
        errors={errorsFor(errors, 'urls')}
      >
        {(p) => (
          <textarea
            {...p}
            rows={2}
            required
            placeholder="https://www.example.com/faq"
            value={urls}
            onChange={(ev) => setUrls(ev.target.value)}
          />
        )}
      </Field>
      <Field label="Pages at most" errors={errorsFor(errors, 'maxPages')}>
        {(p) => (
          <input
            {...p}
            type="number"
            min={1}
            max={200}
            value={maxPages}
            onChange={(ev) => setMaxPages(Number(ev.target.value))}
          />
        )}
      </Field>
      <button type="submit" disabled={busy}>
        {busy ? 'Crawling…' : 'Crawl'}
      </button>
      <Alert>{error}</Alert>
      {answer ? (
        <DataTable
          caption={`Crawl: ${answer.indexed} indexed, ${answer.failed} failed, ${answer.skipped} skipped`}
          captionVisible
          empty={<p className="muted">No page.</p>}
          rows={answer.pages}
          rowKey={(p) => p.url}
          columns={[
            { header: 'Page', cell: (p) => p.url },
            {
              header: 'Result',
              cell: (p) => (
                <Badge tone={p.status === 'indexed' ? 'ok' : p.status === 'failed' ? 'danger' : 'neutral'}>
                  {p.status}
                </Badge>
              ),
            },
            { header: 'Why', cell: (p) => p.reason ?? '' },
          ]}
        />
      ) : null}
    </form>
  );
}

function Progress({ e }: { e: KbEmbeddings }) {
  const label = `${e.embedded} of ${e.total} passages embedded`;
  return (
    <div>
      <progress max={Math.max(1, e.total)} value={e.total === 0 ? 1 : e.embedded} aria-label={label} />{' '}
      <span>{label}</span>
    </div>
  );
}

function EmbeddingsPanel({
  kb,
  canAdmin,
  onChange,
}: {
  kb: KnowledgeBase;
  canAdmin: boolean;
  onChange: (kb: KnowledgeBase) => void;
}) {
  const e = kb.embeddings;
  const providers = useLoad(
    () => (canAdmin ? get<Page<Provider>>('/providers', { limit: 100 }) : Promise.resolve(undefined)),
    [canAdmin],
  );
  const choices = (providers.data?.data ?? []).filter(
    (p) => p.kind === 'llm' && p.type === 'openai-compatible',
  );
  const [providerId, setProviderId] = useState(e?.providerId ?? '');
  const [model, setModel] = useState(e?.model ?? '');
  const { errors, error, clear, fail } = useFormErrors();
  const save = async (embeddings: { providerId: string; model: string } | null) => {
    clear();
    try {
      onChange(await patch<KnowledgeBase>(`/knowledge-bases/${kb.id}`, { embeddings }));
    } catch (err) {
      fail(err);
    }
  };
  return (
    <section className="panel" aria-labelledby="emb-h">
      <h2 id="emb-h">Search</h2>
      {e ? (
        <>
          <p>
            Hybrid: full-text and vectors from <code>{e.model}</code>
            {e.dimensions ? ` (${e.dimensions} dimensions)` : ''}, fused by rank.{' '}
            <Badge tone={e.state === 'ready' ? 'ok' : e.state === 'failed' ? 'danger' : 'neutral'}>
              {e.state}
            </Badge>
          </p>
          <Progress e={e} />
          {e.error ? <Alert>{`Embedding stopped: ${e.error}`}</Alert> : null}
        </>
      ) : (
        <p>Full-text only. Give it an embeddings model to find passages by meaning as well.</p>
      )}
      <p className="muted">
        Vector search on this database:{' '}
        {kb.vectorSearch === 'pgvector'
          ? 'pgvector (cosine distance in the database)'
          : 'exact scan (no pgvector)'}
      </p>
      {canAdmin ? (
        <form
          className="filters"
          onSubmit={(ev) => {
            ev.preventDefault();
            void save({ providerId, model });
          }}
        >
          <Field
            label="Embeddings provider"
            errors={errorsFor(errors, 'embeddings.providerId')}
            hint="An OpenAI-compatible provider: its base URL serves /embeddings"
          >
            {(p) => (
              <select {...p} required value={providerId} onChange={(ev) => setProviderId(ev.target.value)}>
                <option value="">—</option>
                {choices.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Embeddings model" errors={errorsFor(errors, 'embeddings.model')}>
            {(p) => (
              <input
                {...p}
                required
                placeholder="text-embedding-3-small"
                value={model}
                onChange={(ev) => setModel(ev.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="primary">
            {e ? 'Change model' : 'Turn on hybrid search'}
          </button>
          {e ? (
            <button type="button" onClick={() => void save(null)}>
              Full-text only
            </button>
          ) : null}
        </form>
      ) : null}
      <Alert>{providers.error ?? error}</Alert>
    </section>
  );
}

function SearchPanel({ id }: { id: string }) {
  const [query, setQuery] = useState('');
  const [result, setResult] = useState<{ mode: string; data: KbHit[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <section aria-labelledby="search-h">
      <h2 id="search-h">Try a search</h2>
      <form
        className="panel filters"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            setResult(
              await post<{ mode: string; data: KbHit[] }>(`/knowledge-bases/${id}/search`, { query }),
            );
            setError(null);
          } catch (err) {
            setError(err instanceof Error ? err.message : String(err));
          }
        }}
      >
        <Field label="Question">
          {(p) => <input {...p} required value={query} onChange={(e) => setQuery(e.target.value)} />}
        </Field>
        <button type="submit">Search</button>
      </form>
      <Alert>{error}</Alert>
      {result ? (
        <DataTable
          caption={`Results (${result.mode === 'hybrid' ? 'hybrid: full-text and vectors' : 'full-text'})`}
          captionVisible
          empty={<p className="muted">No passage found.</p>}
          rows={result.data}
          rowKey={(h) => h.chunkId}
          columns={[
            { header: 'Source', cell: (h) => [h.source, ...h.headingPath].join(' › ') },
            { header: 'Passage', cell: (h) => h.text },
            { header: 'Score', cell: (h) => h.score.toFixed(4) },
          ]}
        />
      ) : null}
    </section>
  );
}
