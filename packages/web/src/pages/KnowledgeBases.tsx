import { useState } from 'react';
import { get, type Page, post } from '../api';
import { Link, navigate } from '../router';
import {
  Alert,
  DataTable,
  Field,
  fmtTime,
  MoreButton,
  PageTitle,
  useCan,
  useFormErrors,
  usePaged,
} from '../ui';
import { errorsFor } from '../validation';
import type { KnowledgeBase } from './kb-types';

export default function KnowledgeBases() {
  const canAdmin = useCan('admin');
  const list = usePaged<KnowledgeBase>(
    (cursor) => get<Page<KnowledgeBase>>('/knowledge-bases', { cursor }),
    [],
  );
  const [name, setName] = useState('');
  const { errors, error, clear, fail } = useFormErrors();
  return (
    <>
      <PageTitle>Knowledge bases</PageTitle>
      {canAdmin ? (
        <form
          className="panel filters"
          onSubmit={async (e) => {
            e.preventDefault();
            clear();
            try {
              const kb = await post<KnowledgeBase>('/knowledge-bases', { name });
              navigate(`/knowledge-bases/${kb.id}`);
            } catch (err) {
              fail(err);
            }
          }}
        >
          <Field label="Name" errors={errorsFor(errors, 'name')}>
            {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <button type="submit" className="primary">
            Create knowledge base
          </button>
        </form>
      ) : null}
      <Alert>{list.error ?? error}</Alert>
      <DataTable
        caption="Knowledge bases"
        empty={
          <p className="muted">
            No knowledge bases yet. Create one, upload documents to it, and list it in an agent's knowledge.
          </p>
        }
        rows={list.rows}
        rowKey={(k) => k.id}
        columns={[
          {
            header: 'Name',
            cell: (k) => (
              <>
                <Link href={`/knowledge-bases/${k.id}`}>{k.name}</Link>
                {k.description ? <div className="muted">{k.description}</div> : null}
              </>
            ),
          },
          { header: 'Created', cell: (k) => fmtTime(k.createdAt) },
        ]}
      />
      <MoreButton hasMore={list.hasMore} more={list.more} />
    </>
  );
}
