import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { platformUrl, reachPlatform } from './cli-env.js';

/** The everyday objects, by the name the command takes, with what a list shows of each. */
const RESOURCES: Record<
  string,
  { path: string; columns: string[]; verbs: string[]; custom?: Record<string, CustomVerb> }
> = {
  agents: {
    path: '/agents',
    columns: ['id', 'name', 'currentVersion', 'defaultInbound'],
    verbs: ['publish'],
  },
  numbers: { path: '/phone-numbers', columns: ['id', 'number', 'connector', 'agentId'], verbs: [] },
  calls: {
    path: '/calls',
    columns: ['id', 'direction', 'connector', 'status', 'outcome', 'durationMs', 'createdAt'],
    verbs: [],
  },
  keys: { path: '/api-keys', columns: ['id', 'name', 'role', 'prefix', 'lastUsedAt'], verbs: [] },
  providers: { path: '/providers', columns: ['id', 'name', 'kind', 'type'], verbs: ['test'] },
  credentials: { path: '/credentials', columns: ['id', 'name', 'masked'], verbs: ['test'] },
  webhooks: { path: '/webhooks', columns: ['id', 'url', 'format', 'enabled'], verbs: [] },
  campaigns: {
    path: '/campaigns',
    columns: ['id', 'name', 'status', 'agentId'],
    verbs: ['pause', 'resume', 'cancel'],
  },
  kb: {
    path: '/knowledge-bases',
    columns: ['id', 'name', 'description', 'createdAt'],
    verbs: [],
    custom: {
      upload: {
        usage: 'upload <id> <file>   (.txt, .md, .html, .pdf or .docx)',
        request: (id, [file]) =>
          file
            ? {
                method: 'POST',
                path: `/knowledge-bases/${encodeURIComponent(id)}/documents?name=${encodeURIComponent(basename(file))}`,
                body: readFileSync(file),
                contentType: 'application/octet-stream',
              }
            : undefined,
      },
      crawl: {
        usage: 'crawl <id> <url…>   (the pages and what they link to on the same site)',
        request: (id, urls) =>
          urls.length > 0
            ? {
                method: 'POST',
                path: `/knowledge-bases/${encodeURIComponent(id)}/crawl`,
                body: JSON.stringify({ urls }),
                contentType: 'application/json',
              }
            : undefined,
        rows: 'pages',
        columns: ['url', 'status', 'documentId', 'reason'],
      },
      documents: {
        usage: 'documents <id>',
        request: (id) => ({ method: 'GET', path: `/knowledge-bases/${encodeURIComponent(id)}/documents` }),
        columns: ['id', 'sourceName', 'status', 'chunkCount', 'error'],
      },
      search: {
        usage: 'search <id> <question…>',
        request: (id, words) =>
          words.length > 0
            ? {
                method: 'POST',
                path: `/knowledge-bases/${encodeURIComponent(id)}/search`,
                body: JSON.stringify({ query: words.join(' ') }),
                contentType: 'application/json',
              }
            : undefined,
        columns: ['score', 'source', 'text'],
      },
      embeddings: {
        usage: 'embeddings <id> <providerId> <model> | embeddings <id> off',
        request: (id, [providerId, model]) =>
          providerId === 'off' || (providerId && model)
            ? {
                method: 'PATCH',
                path: `/knowledge-bases/${encodeURIComponent(id)}`,
                body: JSON.stringify({
                  embeddings: providerId === 'off' ? null : { providerId, model },
                }),
                contentType: 'application/json',
              }
            : undefined,
      },
    },
  },
};

/** A command of one object type beyond the REST verbs (a file upload, a search). */
interface CustomVerb {
  usage: string;
  /** The request for the id and the words after it; undefined when words are missing. */
  request: (
    id: string,
    rest: string[],
  ) => { method: string; path: string; body?: string | Buffer; contentType?: string } | undefined;
  /** Print the answer's `data` (or the field `rows` names) as a table of these columns. */
  columns?: string[];
  rows?: string;
}

export const OBJECT_COMMANDS = Object.keys(RESOURCES);

const usage = (name: string) => {
  const r = RESOURCES[name];
  const extra =
    (r?.verbs.map((v) => `  switchboard ${name} ${v} <id>\n`).join('') ?? '') +
    Object.values(r?.custom ?? {})
      .map((c) => `  switchboard ${name} ${c.usage}\n`)
      .join('');
  return `Usage:
  switchboard ${name} list [--limit N] [--json]
  switchboard ${name} get <id>
  switchboard ${name} create --data '<json>' | --file <file.json>
  switchboard ${name} update <id> --data '<json>' | --file <file.json>
  switchboard ${name} delete <id>
${extra}${name === 'kb' ? `  switchboard kb progress <id>   (waits for the passages' embeddings, with a progress bar)\n` : ''}
Talks to the running platform's REST API (/v1${r?.path ?? ''}); the body is the API's own JSON.
The API key comes from --key or SWITCHBOARD_API_KEY, the URL from --url, SWITCHBOARD_URL or
PUBLIC_URL, else where npm start listens (HOST and PORT). Output is JSON, lists a table.`;
};

/** `switchboard <objects> <verb>`: the REST API for the everyday objects, without curl. */
export async function objectsCommand(
  name: string,
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const resource = RESOURCES[name];
  if (!resource) return 64;
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      file: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      url: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [verb, id] = positionals;
  if (values.help || !verb) {
    (values.help ? out : err).write(`${usage(name)}\n`);
    return values.help ? 0 : 64;
  }
  const key = values.key ?? process.env.SWITCHBOARD_API_KEY;
  if (!key) {
    err.write('an API key is needed: pass --key or set SWITCHBOARD_API_KEY\n');
    return 64;
  }
  if (name === 'kb' && verb === 'progress') {
    if (!id) {
      err.write('usage: switchboard kb progress <id>\n');
      return 64;
    }
    return embeddingProgress(key, values.url, id, out, err);
  }
  const custom = resource.custom?.[verb];
  if (custom) {
    const req = id ? custom.request(id, positionals.slice(2)) : undefined;
    if (!req) {
      err.write(`usage: switchboard ${name} ${custom.usage}\n`);
      return 64;
    }
    return send(key, values.url, req, custom.columns ?? [], values.json === true, out, err, custom.rows);
  }
  const body = values.file ? readFileSync(values.file, 'utf8') : values.data;
  const needsId = verb !== 'list' && verb !== 'create';
  const at = `${resource.path}${needsId ? `/${encodeURIComponent(id as string)}` : ''}`;
  const request: Record<string, [string, string]> = {
    list: ['GET', `${resource.path}${values.limit ? `?limit=${encodeURIComponent(values.limit)}` : ''}`],
    get: ['GET', at],
    create: ['POST', at],
    update: ['PATCH', at],
    delete: ['DELETE', at],
    ...Object.fromEntries(resource.verbs.map((v) => [v, ['POST', `${at}/${v}`] as [string, string]])),
  };
  const chosen = request[verb];
  if (!chosen) {
    err.write(`unknown ${name} command: ${verb}\n\n${usage(name)}\n`);
    return 64;
  }
  if (needsId && !id) {
    err.write(`${name} ${verb} needs an id\n\n${usage(name)}\n`);
    return 64;
  }
  if ((verb === 'create' || verb === 'update') && !body) {
    err.write(`${name} ${verb} needs --data '<json>' or --file <file.json>\n`);
    return 64;
  }
  const [method, path] = chosen;
  const columns = verb === 'list' ? resource.columns : [];
  const req = { method, path, ...(body ? { body, contentType: 'application/json' } : {}) };
  return send(key, values.url, req, columns, values.json === true, out, err);
}

interface EmbeddingsView {
  model: string;
  state: 'ready' | 'embedding' | 'failed';
  embedded: number;
  total: number;
  error: string | null;
}

/** `[#########...........]  640/1024 passages embedded by text-embedding-3-small` */
export function progressBar(e: Pick<EmbeddingsView, 'embedded' | 'total' | 'model'>, width = 30): string {
  const share = e.total > 0 ? Math.min(1, e.embedded / e.total) : 1;
  const done = Math.round(share * width);
  return `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${e.embedded}/${e.total} passages embedded by ${e.model}`;
}

/**
 * `switchboard kb progress <id>`: follows a knowledge base's background embedding until every
 * passage has a vector of its model (exit 0) or the run stopped on an error (exit 1). On a terminal
 * the bar is redrawn in place; otherwise a line is written whenever the count moves.
 */
async function embeddingProgress(
  key: string,
  url: string | undefined,
  id: string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  intervalMs = 500,
): Promise<number> {
  const tty = (out as NodeJS.WriteStream).isTTY === true;
  let last = '';
  for (;;) {
    const res = await reachPlatform(`${platformUrl(url)}/v1/knowledge-bases/${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const body = (await res.json().catch(() => ({}))) as {
      embeddings?: EmbeddingsView | null;
      error?: { message?: string };
    };
    if (!res.ok) {
      err.write(`error ${res.status}: ${body.error?.message ?? res.statusText}\n`);
      return 1;
    }
    const e = body.embeddings;
    if (!e) {
      err.write('this knowledge base has no embeddings model; search is full-text only\n');
      return 1;
    }
    const line = progressBar(e);
    if (line !== last) out.write(tty ? `\r${line}` : `${line}\n`);
    last = line;
    if (e.state !== 'embedding') {
      if (tty) out.write('\n');
      if (e.state === 'failed') {
        err.write(`embedding stopped: ${e.error ?? 'unknown error'}\n`);
        return 1;
      }
      return 0;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Sends one request; prints the error, a table of `data` (when columns are given) or the JSON. */
async function send(
  key: string,
  url: string | undefined,
  req: { method: string; path: string; body?: string | Buffer; contentType?: string },
  columns: string[],
  json: boolean,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  rows = 'data',
): Promise<number> {
  const res = await reachPlatform(`${platformUrl(url)}/v1${req.path}`, {
    method: req.method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(req.contentType ? { 'content-type': req.contentType } : {}),
    },
    ...(req.body !== undefined ? { body: req.body } : {}),
  });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  if (!res.ok) {
    const e = parsed?.error as
      | { message?: string; details?: { path: string; message: string }[] }
      | undefined;
    err.write(`error ${res.status}: ${e?.message ?? res.statusText}\n`);
    for (const d of e?.details ?? []) err.write(`  ${d.path}: ${d.message}\n`);
    return 1;
  }
  if (columns.length > 0 && !json && Array.isArray(parsed?.[rows])) {
    out.write(table(parsed[rows] as Record<string, unknown>[], columns));
    if (parsed.nextCursor) out.write(`(more: the API's nextCursor is ${String(parsed.nextCursor)})\n`);
  } else if (parsed !== undefined) {
    out.write(`${JSON.stringify(parsed, null, 2)}\n`);
  } else {
    out.write('done\n');
  }
  return 0;
}

export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    `${vals
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()}\n`;
  return line(columns) + rows.map((r) => line(columns.map((c) => cell(r[c])))).join('');
}
