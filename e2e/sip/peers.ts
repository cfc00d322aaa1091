/**
 * Helpers for real-peer SIP tests: find the peer binaries, spawn them with bounded lifetimes
 * (every child is killed when the test ends), free ports on 127.0.0.1, prompts with flite and
 * transcription with pocketsphinx (the shared asr8k recipe plus a JSGF grammar).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { findBinary } from '@switchboard/providers';

/** Debian packages of the peers, for the skip message. */
const APT_PACKAGES: Record<string, string> = {
  sipp: 'sip-tester',
  baresip: 'baresip',
  kamailio: 'kamailio',
  flite: 'flite',
  sox: 'sox',
  pocketsphinx_continuous: 'pocketsphinx pocketsphinx-en-us',
};

/** Resolves a binary; skips the test when it is missing, unless CI is set (then it fails). */
export function needBinaries(t: TestContext, ...names: string[]): boolean {
  for (const name of names) {
    // On PATH, as the test will spawn it: a binary elsewhere on disk is not what a user has.
    if (findBinary(name)) continue;
    const pkg = APT_PACKAGES[name] ?? name;
    if (process.env.CI)
      throw new Error(`${name} is required in CI but not installed (apt-get install -y ${pkg})`);
    t.skip(`needs ${name}: apt-get install -y ${pkg}`);
    return false;
  }
  return true;
}

export function tempDir(t: TestContext, prefix = 'sip-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A UDP port free right now on 127.0.0.1 (even, so RTP peers can use it and port+1). */
export async function freeUdpPort(): Promise<number> {
  for (;;) {
    const s = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve) =>
      s.bind(0, '127.0.0.1', () => resolve(s.address().port)),
    );
    await new Promise<void>((r) => s.close(() => r()));
    if (port % 2 === 0 && port < 65000) return port;
  }
}

/** A random even RTP range of `size` ports, so parallel tests rarely compete for ports. */
export function rtpRange(size = 40): [number, number] {
  const base = 20000 + 2 * Math.floor(Math.random() * 10000);
  return [base, base + size];
}

export interface PeerResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Peer {
  child: ChildProcess;
  done: Promise<PeerResult>;
}

/** Spawns a peer that is killed after `timeoutMs` and when the test ends. */
export function spawnPeer(
  t: TestContext,
  cmd: string,
  args: string[],
  opts: { cwd?: string; timeoutMs: number },
): Peer {
  const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  const done = new Promise<PeerResult>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(err) });
    });
  });
  t.after(async () => {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await done;
  });
  return { child, done };
}

/** sipp arguments every test uses: loopback only, no stdin, bounded. */
export const sippBase = (port: number, mediaPort: number) => [
  '-i',
  '127.0.0.1',
  '-p',
  String(port),
  '-mi',
  '127.0.0.1',
  '-mp',
  String(mediaPort),
  '-nostdin',
  '-m',
  '1',
];

/** An 8 kHz mono 16-bit WAV of `text` (flite awb voice), padded with `padSeconds` of silence. */
export function speak(dir: string, name: string, text: string, padSeconds = 0): string {
  const raw = join(dir, `${name}-16k.wav`);
  const out = join(dir, `${name}.wav`);
  execFileSync('flite', ['-voice', 'awb', '-t', text, '-o', raw]);
  execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', out, 'pad', '0.3', String(padSeconds)]);
  return out;
}

/**
 * Transcribes audio against a one-rule grammar of `phrases`. Telephone audio gets asr8k.sh's
 * recipe (upsample, then low white noise so the wideband model finds its upper bands);
 * `wideband` audio (16 kHz, e.g. what a browser played) goes to the recogniser as it is.
 */
export function transcribe(
  dir: string,
  wav: string,
  phrases: string[],
  opts: { wideband?: boolean } = {},
): string {
  const gram = join(dir, 'expect.gram');
  writeFileSync(
    gram,
    `#JSGF V1.0;\ngrammar expect;\npublic <utt> = ${phrases.map((p) => `( ${p.toLowerCase()} )`).join(' | ')};\n`,
  );
  const a = join(dir, 'asr-a.wav');
  const n = join(dir, 'asr-n.wav');
  const an = join(dir, 'asr-an.wav');
  execFileSync('sox', [wav, '-r', '16000', '-c', '1', '-b', '16', a]);
  if (opts.wideband) return recognise(a, gram);
  const secs = execFileSync('soxi', ['-D', a]).toString().trim();
  // An empty or unreadable recording would make `synth` run without end.
  if (!(Number(secs) > 0 && Number(secs) < 600)) return '';
  execFileSync('sox', [
    '-R',
    '-n',
    '-r',
    '16000',
    '-c',
    '1',
    '-b',
    '16',
    n,
    'synth',
    secs,
    'whitenoise',
    'vol',
    '0.01',
  ]);
  execFileSync('sox', ['-R', '-m', '-v', '1', a, '-v', '1', n, an]);
  return recognise(an, gram);
}

function recognise(wav16k: string, gram: string): string {
  const out = execFileSync('pocketsphinx_continuous', [
    '-infile',
    wav16k,
    '-jsgf',
    gram,
    '-logfn',
    '/dev/null',
  ]);
  return out
    .toString()
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .join(' ');
}

/** The sipp step that answers the far end's BYE with 200 OK. */
const SIPP_OK_TO_BYE = `  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>`;

/** SDP offering or answering PCMU only; sipp fills in the addresses and `mediaPort`. */
const sippPcmuSdp = (mediaPort: string) => `v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio ${mediaPort} RTP/AVP 0
a=rtpmap:0 PCMU/8000`;

/**
 * A sipp UAC scenario: calls `sip:<-s service>@…` with PCMU, ACKs the answer, runs `during`
 * (pauses, `rtp_stream` actions), then waits up to `byeTimeoutMs` for the far end's BYE and
 * answers it 200. `mediaPort` is `[media_port]` (sipp's `-mp`) or `[auto_media_port]` (one per
 * call, for scenarios that stream audio).
 */
export function sippCaller(o: {
  name: string;
  mediaPort?: string;
  during?: string;
  byeTimeoutMs?: number;
  /** Through a proxy that records the route: the ACK follows the answer's Record-Route set. */
  proxied?: boolean;
}): string {
  const ack = o.proxied
    ? `ACK [next_url] SIP/2.0
[routes]`
    : `ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="${o.name}">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

${sippPcmuSdp(o.mediaPort ?? '[media_port]')}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"${o.proxied ? ' rrs="true"' : ''}/>
  <send><![CDATA[
${ack}
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>
${o.during ?? ''}  <recv request="BYE" timeout="${o.byeTimeoutMs ?? 60_000}"/>
${SIPP_OK_TO_BYE}
</scenario>
`;
}

/**
 * A sipp scenario: calls `sip:<-s service>@…` with PCMU, is answered, and then waits up to 60 s
 * for the far end's BYE (answering it 200).
 */
export const SIPP_WAIT_FOR_BYE = sippCaller({ name: 'call and wait for the far end to hang up' });

/**
 * A sipp UAS scenario: answers a call as `user` with PCMU (after a 180 when `ringing`), then runs
 * `after`.
 */
function sippAnswer(o: {
  name: string;
  user: string;
  ringing?: boolean;
  /** Keep the caller's From as `[$remote_from]`, for a BYE of our own (sipp refuses an unused one). */
  keepFrom?: boolean;
  mediaPort: string;
  after: string;
}): string {
  const reply = (status: string, sdp: boolean) => `SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:${o.user}@[local_ip]:[local_port];transport=[transport]>
${sdp ? `Content-Type: application/sdp\nContent-Length: [len]\n\n${sippPcmuSdp(o.mediaPort)}` : 'Content-Length: 0'}`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="${o.name}">
${
  o.keepFrom
    ? `  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="remote_from"/>
    </action>
  </recv>`
    : '  <recv request="INVITE" crlf="true"/>'
}
${o.ringing ? `  <send><![CDATA[\n${reply('180 Ringing', false)}\n]]></send>\n` : ''}  <send retrans="500"><![CDATA[
${reply('200 OK', true)}
]]></send>
  <recv request="ACK" rtd="true" crlf="true"/>
${o.after}
</scenario>
`;
}

/** A sipp UAS scenario: answers a call with PCMU, listens for `holdMs`, then hangs up with BYE. */
export const sippAnswerThenBye = (holdMs: number) =>
  sippAnswer({
    name: 'answer, listen, hang up',
    user: 'desk',
    ringing: true,
    keepFrom: true,
    mediaPort: '[media_port]',
    after: `  <pause milliseconds="${holdMs}"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:desk@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
To: [$remote_from]
[last_Call-ID:]
CSeq: 1 BYE
Contact: <sip:desk@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200" crlf="true"/>`,
  });

/** A sipp UAS scenario: refuses a call with 486 Busy Here. */
export const SIPP_BUSY = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="busy">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 486 Busy Here
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
  <recv request="ACK" crlf="true"/>
</scenario>
`;

/**
 * A sipp UAS scenario: answers with PCMU, streams `file` (raw μ-law, 8 kHz, in the working
 * folder) once, and waits up to 60 s for the far end's BYE.
 */
export const sippAnswerAndPlay = (file: string) =>
  sippAnswer({
    name: 'answer, play, wait for BYE',
    user: 'machine',
    mediaPort: '[auto_media_port]',
    after: `  <nop><action><exec rtp_stream="${file},1,0"/></action></nop>
  <recv request="BYE" timeout="60000"/>
${SIPP_OK_TO_BYE}`,
  });
