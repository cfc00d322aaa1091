import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { platformUrl, reachPlatform } from './cli-env.js';

const USAGE = `Usage: switchboard chat <agent id> [--draft] [--var name=value ...] [--url <url>] [--key <api key>]

Talks to an agent in text through the API: the same model and tools as a phone call, typed turns.
--draft tries the unpublished draft. The API key comes from --key or SWITCHBOARD_API_KEY, the URL
from --url, SWITCHBOARD_URL or PUBLIC_URL, else where npm start listens with the same environment and
.env (HOST and PORT, default http://127.0.0.1:3000). Type /quit to leave.`;

interface ChatTurn {
  sessionId: string;
  greeting: string | null;
  reply: string | null;
  toolCalls: { name: string; args: unknown; ok: boolean }[];
  ended: boolean;
}

/** `switchboard chat`: an API client, so it works while the platform runs (PGlite is one process). */
export async function chatCommand(
  argv: string[],
  io: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream; fetch?: typeof fetch } = {},
): Promise<number> {
  const out = io.output ?? process.stdout;
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      draft: { type: 'boolean' },
      var: { type: 'string', multiple: true },
      url: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  const agentId = positionals[0];
  const key = values.key ?? process.env.SWITCHBOARD_API_KEY;
  if (!agentId || !key) {
    out.write(`${USAGE}\n`);
    return 64;
  }
  const variables: Record<string, string> = {};
  for (const v of values.var ?? []) {
    const i = v.indexOf('=');
    if (i <= 0) {
      out.write(`--var expects name=value, got "${v}"\n`);
      return 64;
    }
    variables[v.slice(0, i)] = v.slice(i + 1);
  }
  const base = platformUrl(values.url);
  const doFetch = io.fetch ?? fetch;
  let sessionId: string | undefined;
  const send = async (message?: string): Promise<ChatTurn | undefined> => {
    const res = await reachPlatform(
      `${base}/v1/agents/${encodeURIComponent(agentId)}/test-chat`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          ...(sessionId ? { sessionId } : { draft: !!values.draft, variables }),
          ...(message ? { message } : {}),
        }),
      },
      doFetch,
    );
    const body = (await res.json()) as ChatTurn & { error?: { message: string } };
    if (!res.ok) {
      out.write(`error: ${body.error?.message ?? res.statusText}\n`);
      return undefined;
    }
    sessionId = body.sessionId;
    return body;
  };
  const first = await send();
  if (!first) return 1;
  if (first.greeting) out.write(`agent> ${first.greeting}\n`);
  const rl = createInterface({ input: io.input ?? process.stdin, terminal: false });
  try {
    out.write('you> ');
    for await (const line of rl) {
      const text = line.trim();
      if (text === '/quit') break;
      if (text) {
        const turn = await send(text);
        if (!turn) return 1;
        for (const t of turn.toolCalls)
          out.write(`  [tool ${t.name} ${JSON.stringify(t.args)} ${t.ok ? 'ok' : 'failed'}]\n`);
        if (turn.reply) out.write(`agent> ${turn.reply}\n`);
        if (turn.ended) {
          out.write('(the agent ended the conversation)\n');
          break;
        }
      }
      out.write('you> ');
    }
  } finally {
    rl.close();
  }
  return 0;
}
