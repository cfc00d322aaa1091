import { get } from '../api';
import { Link } from '../router';
import { Alert, Loading, PageTitle, useLoad } from '../ui';

interface Stats {
  since: string;
  until: string;
  perHour: { hour: string; count: number }[];
  outcomes: { outcome: string | null; count: number }[];
  responseMs: { turns: number; p50: number | null; p95: number | null };
}

/** The last 24 hours as 24 hourly buckets, oldest first. */
function hourlyBuckets(stats: Stats): { hour: Date; count: number }[] {
  const end = new Date(stats.until);
  end.setMinutes(0, 0, 0);
  const counts = new Map(stats.perHour.map((h) => [new Date(h.hour).getTime(), h.count]));
  const out: { hour: Date; count: number }[] = [];
  for (let i = 23; i >= 0; i--) {
    const hour = new Date(end.getTime() - i * 3600_000);
    out.push({ hour, count: counts.get(hour.getTime()) ?? 0 });
  }
  return out;
}

export default function Overview() {
  const stats = useLoad(() => get<Stats>('/calls/stats'), [], 30_000);
  if (stats.error) return <Alert>{stats.error}</Alert>;
  if (!stats.data) return <Loading what="the overview" />;
  const s = stats.data;
  const buckets = hourlyBuckets(s);
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const total = s.outcomes.reduce((n, o) => n + o.count, 0);
  const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);
  return (
    <>
      <PageTitle>Overview</PageTitle>
      <div className="grid2">
        <section className="panel" aria-labelledby="calls-h">
          <h2 id="calls-h">Calls, last 24 hours</h2>
          <p className="stat">{total}</p>
          <div
            className="bars"
            role="img"
            aria-label={`Calls per hour: ${buckets.map((b) => b.count).join(', ')}`}
          >
            {buckets.map((b) => (
              <div
                key={b.hour.toISOString()}
                style={{ height: `${(b.count / max) * 100}%` }}
                title={`${b.hour.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}: ${b.count}`}
              />
            ))}
          </div>
          <p className="muted">
            <Link href="/calls">All calls</Link> · <Link href="/live">Live calls</Link>
          </p>
        </section>
        <section className="panel" aria-labelledby="out-h">
          <h2 id="out-h">Outcomes</h2>
          {s.outcomes.length ? (
            <ul>
              {s.outcomes.map((o) => (
                <li key={o.outcome ?? 'open'}>
                  {o.outcome ? <Link href={`/calls?outcome=${o.outcome}`}>{o.outcome}</Link> : 'not over yet'}
                  : {o.count}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No calls yet.</p>
          )}
        </section>
        <section className="panel" aria-labelledby="lat-h">
          <h2 id="lat-h">Response latency</h2>
          <p className="muted">
            End of the caller&apos;s speech to the agent&apos;s first audio, over {s.responseMs.turns} turns
          </p>
          <p>
            p50 <span className="stat">{ms(s.responseMs.p50)}</span>
          </p>
          <p>
            p95 <span className="stat">{ms(s.responseMs.p95)}</span>
          </p>
        </section>
      </div>
    </>
  );
}
