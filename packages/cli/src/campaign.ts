import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { platformUrl, reachPlatform } from './cli-env.js';

const USAGE = `Usage: switchboard campaign import <file.csv> (--campaign <id> | --agent <id> --name <name> --from <number|pool>)
  [--url <public url>] [--key <api key>] [--chunk <rows per request>]

The CSV needs a phone column; every other column is a variable. The API key comes from --key or
SWITCHBOARD_API_KEY, the URL from --url, SWITCHBOARD_URL or PUBLIC_URL, else where npm start listens
with the same environment and .env (HOST and PORT, default http://127.0.0.1:3000).`;

interface RowError {
  row: number;
  field: string;
  message: string;
}

/** `switchboard campaign import`: uploads a CSV through the API in chunks, with a progress bar. */
export async function campaignCommand(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      campaign: { type: 'string' },
      agent: { type: 'string' },
      name: { type: 'string' },
      from: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      chunk: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  const [sub, file] = positionals;
  const key = values.key ?? process.env.SWITCHBOARD_API_KEY;
  if (
    sub !== 'import' ||
    !file ||
    !key ||
    (!values.campaign && !(values.agent && values.name && values.from))
  ) {
    err.write(`${USAGE}\n`);
    return 64;
  }
  const base = platformUrl(values.url);
  const api = async (path: string, init: RequestInit) => {
    const r = await reachPlatform(`${base}/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) },
    });
    const body = (await r.json().catch(() => ({}))) as Record<string, unknown>;
    if (!r.ok) throw new Error(`${r.status}: ${JSON.stringify(body.error ?? body)}`);
    return body;
  };
  const lines = readFileSync(file, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/);
  const header = lines[0] ?? '';
  // Split on line boundaries; a quoted field spanning lines is not supported by the chunking.
  const rows = lines.slice(1).filter((l) => l.trim() !== '');
  const chunk = Math.max(1, Number(values.chunk ?? 500));
  let campaignId = values.campaign;
  if (!campaignId) {
    const created = await api('/campaigns', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: values.agent, name: values.name, callerId: values.from }),
    });
    campaignId = (created.campaign as { id: string }).id;
    out.write(`created campaign ${campaignId}\n`);
  }
  const bar = new SingleBar({
    format: 'importing [{bar}] {value}/{total} rows | {errors} errors',
    stream: err,
  });
  bar.start(rows.length, 0, { errors: 0 });
  const errors: RowError[] = [];
  let added = 0;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const r = await api(`/campaigns/${campaignId}/contacts?firstRow=${i + 1}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: [header, ...part].join('\n'),
    });
    added += Number(r.added ?? 0);
    errors.push(...((r.errors as RowError[]) ?? []));
    bar.update(i + part.length, { errors: errors.length });
  }
  bar.stop();
  out.write(`campaign ${campaignId}: ${added} contacts added, ${errors.length} rows rejected\n`);
  for (const e of errors) out.write(`  row ${e.row}: ${e.field}: ${e.message}\n`);
  return errors.length > 0 ? 2 : 0;
}
