/**
 * The floor row of bench/platform-load: the least a relay between AudioSocket and an AVR
 * speech-to-speech connector can do, run as its own process like the platform. Each connection
 * opens one WebSocket to the connector; caller frames go out as base64 JSON at once, the
 * connector's audio is written back at once (no pacing, no recording, no database). What the load
 * generator measures through it is the machine's cost of the two hops, not the platform's.
 * Usage: floor-relay.ts <port> <connector ws url>; prints "ready" when listening.
 */
import net from 'node:net';
import { AudioSocketKind } from '@switchboard/telephony';
import { WebSocket } from 'ws';

const [portArg = '0', url = ''] = process.argv.slice(2);
const AUDIO_PREFIX = '{"type":"audio","audio":"';

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const early: string[] = [];
  let carry: Buffer | undefined;
  ws.on('open', () => {
    ws.send('{"type":"init","uuid":"floor"}');
    for (const m of early.splice(0)) ws.send(m);
  });
  ws.on('message', (data: Buffer) => {
    if (data.toString('latin1', 0, AUDIO_PREFIX.length) !== AUDIO_PREFIX) return;
    const end = data.indexOf(0x22, AUDIO_PREFIX.length);
    const pcm = Buffer.from(data.toString('latin1', AUDIO_PREFIX.length, end), 'base64');
    const out = Buffer.allocUnsafe(3 + pcm.length);
    out[0] = AudioSocketKind.Audio;
    out.writeUInt16BE(pcm.length, 1);
    pcm.copy(out, 3);
    if (!socket.destroyed) socket.write(out);
  });
  ws.on('error', () => socket.destroy());
  ws.on('close', () => socket.end());
  socket.on('data', (chunk: Buffer) => {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = undefined;
    let off = 0;
    while (buf.length - off >= 3) {
      const kind = buf[off] as number;
      const len = buf.readUInt16BE(off + 1);
      if (buf.length - off - 3 < len) break;
      if (kind === AudioSocketKind.Audio) {
        const msg = `${AUDIO_PREFIX}${buf.toString('base64', off + 3, off + 3 + len)}"}`;
        if (ws.readyState === WebSocket.OPEN) ws.send(msg);
        else if (early.length < 10) early.push(msg);
      } else if (kind === AudioSocketKind.Hangup) socket.end();
      off += 3 + len;
    }
    if (off < buf.length) carry = Buffer.from(buf.subarray(off));
  });
  socket.on('error', () => {});
  socket.on('close', () => ws.close());
});
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
