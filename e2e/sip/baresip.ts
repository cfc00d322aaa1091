/** A headless baresip for tests, configured from the shared peer config on free ports. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freeUdpPort, type Peer, spawnPeer } from './peers.js';

const SHARED = new URL('../../../shared/peers/baresip/', import.meta.url).pathname;

export interface Baresip {
  peer: Peer;
  port: number;
  /** The `-dec.wav` recording of what baresip heard (after it exited). */
  decodedWav(): string;
}

export async function startBaresip(
  t: TestContext,
  dir: string,
  o: { sourceWav: string; autoAnswer?: boolean; dial?: string; quitAfterSeconds: number },
): Promise<Baresip> {
  const conf = join(dir, 'baresip');
  const rec = join(conf, 'rec');
  mkdirSync(rec, { recursive: true });
  const port = await freeUdpPort();
  const config = readFileSync(join(SHARED, 'config'), 'utf8')
    .replace(/^sip_listen.*$/m, `sip_listen\t\t127.0.0.1:${port}`)
    .replace(/^audio_source.*$/m, `audio_source\t\taufile,${o.sourceWav}`)
    .replace(/^snd_path.*$/m, `snd_path\t\t${rec}`)
    // ctrl_tcp would need a port of its own; these tests drive baresip by arguments only.
    .replace(/^module_app\s+ctrl_tcp.*$/m, '')
    .replace(/^ctrl_tcp_listen.*$/m, '');
  writeFileSync(join(conf, 'config'), config);
  writeFileSync(
    join(conf, 'accounts'),
    `<sip:caller@127.0.0.1>;regint=0;audio_codecs=PCMU,PCMA${o.autoAnswer ? ';answermode=auto' : ''}\n`,
  );
  writeFileSync(join(conf, 'contacts'), '');
  const args = ['-f', conf, '-t', String(o.quitAfterSeconds)];
  if (o.dial) args.push('-e', `/dial ${o.dial}`);
  const peer = spawnPeer(t, 'baresip', args, { timeoutMs: (o.quitAfterSeconds + 10) * 1000 });
  return {
    peer,
    port,
    decodedWav: () => {
      const f = readdirSync(rec).find((n) => n.endsWith('-dec.wav'));
      if (!f) throw new Error('baresip wrote no -dec.wav');
      return join(rec, f);
    },
  };
}
