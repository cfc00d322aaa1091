/** Shared pieces: data loading, labelled fields with their errors, tables, buttons that respect roles. */
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useId,
  useRef,
  useState,
} from 'react';
import { ApiError, errorText, type Role, roleAtLeast } from './api';
import { type FieldErrors, fieldErrors } from './validation';

export interface Session {
  role: Role;
  email: string | null;
  workspaceId: string;
  workspaces: { id: string; name: string }[];
}

export const SessionContext = createContext<Session | null>(null);
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside the signed-in app');
  return s;
}
/** True when the signed-in role may do what needs `min`; the API enforces it anyway. */
export const useCan = (min: Role) => roleAtLeast(useSession().role, min);

/** Loads data, reloads on demand or when `deps` change; `pollMs` keeps it fresh. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[], pollMs?: number) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const reload = useCallback(async () => {
    try {
      setData(await fnRef.current());
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, []);
  // What the load depends on, as one value the effect can list.
  const key = JSON.stringify(deps);
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the caller's dependencies
  useEffect(() => {
    void reload();
    if (!pollMs) return;
    const t = setInterval(() => void reload(), pollMs);
    return () => clearInterval(t);
  }, [key, reload, pollMs]);
  return { data, error, reload, setData };
}

/** A form's refusal by the API: the messages by field, and the whole message for the top of the form. */
export function useFormErrors() {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const clear = () => {
    setErrors({});
    setError(null);
  };
  const fail = (e: unknown) => {
    if (e instanceof ApiError) setErrors(fieldErrors(e.details));
    setError(errorText(e));
  };
  return { errors, setErrors, error, setError, clear, fail };
}

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  useEffect(() => {
    if (typeof children === 'string') document.title = `${children} · Switchboard`;
  }, [children]);
  return (
    <div className="page-title">
      <h1>{children}</h1>
      {actions ? <div className="actions">{actions}</div> : null}
    </div>
  );
}

export function Alert({ children, kind = 'error' }: { children: ReactNode; kind?: 'error' | 'ok' | 'info' }) {
  if (!children) return null;
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return (
    <p className="muted" aria-live="polite">
      Loading{what ? ` ${what}` : ''}…
    </p>
  );
}

interface FieldProps {
  label: string;
  errors?: string[];
  hint?: ReactNode;
  children: (props: { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ReactNode;
}

/** A label, the control, a hint and the API's messages for it, tied together for screen readers. */
export function Field({ label, errors = [], hint, children }: FieldProps) {
  const id = useId();
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const described = [errors.length ? errId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${errors.length ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        ...(errors.length ? { 'aria-invalid': true } : {}),
        ...(described ? { 'aria-describedby': described } : {}),
      })}
      {hint ? (
        <small id={hintId} className="hint">
          {hint}
        </small>
      ) : null}
      {errors.length ? (
        <ul id={errId} className="field-errors" data-field-error={label}>
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function Badge({ children, tone = 'neutral' }: { children: ReactNode; tone?: string }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

interface ActionButtonProps {
  onAction: () => Promise<unknown>;
  children: ReactNode;
  className?: string;
  /** Asked with `window.confirm` first; the action runs only when the user agrees. */
  confirm?: string;
  /** Where a failure goes when the page shows it elsewhere; by default it shows next to the button. */
  onError?: (message: string) => void;
  'aria-label'?: string;
}

/** A button that runs an async action, shows it is busy, and reports a failure next to itself. */
export function ActionButton({
  onAction,
  children,
  className,
  confirm,
  onError,
  'aria-label': label,
}: ActionButtonProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <span className="action">
      <button
        type="button"
        className={className}
        disabled={busy}
        aria-label={label}
        onClick={async () => {
          if (confirm && !window.confirm(confirm)) return;
          setBusy(true);
          setError(null);
          try {
            await onAction();
          } catch (e) {
            if (onError) onError(errorText(e));
            else setError(errorText(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        {children}
      </button>
      {error ? (
        <span className="inline-error" role="alert">
          {error}
        </span>
      ) : null}
    </span>
  );
}

/** A danger button that asks before it deletes (or removes, or revokes) something. */
export function ConfirmDelete({
  confirm,
  onDelete,
  onError,
  children = 'Delete',
  'aria-label': label,
}: {
  confirm: string;
  onDelete: () => Promise<unknown>;
  onError?: (message: string) => void;
  children?: ReactNode;
  'aria-label'?: string;
}) {
  return (
    <ActionButton
      className="danger"
      confirm={confirm}
      onAction={onDelete}
      onError={onError}
      aria-label={label}
    >
      {children}
    </ActionButton>
  );
}

interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
}

/**
 * A table of rows, one column per `columns` entry, and an unlabelled last column when `actions`
 * is given. With `empty`, no rows show that instead of the table (null shows nothing).
 */
export function DataTable<T>({
  caption,
  captionVisible = false,
  columns,
  rows,
  rowKey,
  actions,
  empty,
  testId,
}: {
  caption: string;
  captionVisible?: boolean;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  actions?: (row: T) => ReactNode;
  empty?: ReactNode;
  testId?: string;
}) {
  if (!rows.length && empty !== undefined) return <>{empty}</>;
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <caption className={captionVisible ? undefined : 'sr-only'}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col">
                {c.header}
              </th>
            ))}
            {actions ? (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.header}>{c.cell(r)}</td>
              ))}
              {actions ? <td>{actions(r)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "Load more" for cursor-paginated lists. */
export function usePaged<T>(
  load: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor: string | null }>,
  deps: unknown[],
) {
  const [rows, setRows] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  const first = useCallback(async () => {
    setLoading(true);
    try {
      const p = await loadRef.current(undefined);
      setRows(p.data);
      setCursor(p.nextCursor);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  }, []);
  const more = useCallback(async () => {
    if (!cursor) return;
    try {
      const p = await loadRef.current(cursor);
      setRows((r) => [...r, ...p.data]);
      setCursor(p.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  }, [cursor]);
  const key = JSON.stringify(deps);
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the caller's dependencies
  useEffect(() => {
    void first();
  }, [key, first]);
  return { rows, error, loading, hasMore: cursor !== null, more, reload: first };
}

export function MoreButton({ hasMore, more }: { hasMore: boolean; more: () => Promise<void> }) {
  if (!hasMore) return null;
  return (
    <button type="button" className="more" onClick={() => void more()}>
      Load more
    </button>
  );
}

/** A value shown once (a new API key or signing secret), with a copy button. */
export function Secret({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret" role="status">
      <p>
        <strong>{label}</strong> — copy it now, it is not shown again.
      </p>
      <code data-testid="secret-value">{value}</code>{' '}
      <button
        type="button"
        onClick={async () => {
          await navigator.clipboard?.writeText(value).catch(() => {});
          setCopied(true);
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}
