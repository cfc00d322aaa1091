/**
 * RTP socket allocation from a configured port range. Even ports only (RFC 3550 §11 leaves the
 * odd one for RTCP); a port another process holds is skipped. The cursor rotates so a port just
 * released is not reused at once, which keeps late packets of a finished call out of a new one.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export class RtpPortAllocator {
  private cursor: number;

  constructor(
    private readonly host: string,
    private readonly range: readonly [number, number],
  ) {
    const [min, max] = range;
    if (!(min > 0 && max >= min && max <= 65535))
      throw new RangeError('rtpPortRange must be [min, max] in 1-65535');
    this.cursor = min + (min % 2);
  }

  /** A bound UDP socket on a free even port of the range; throws when the range is exhausted. */
  async allocate(): Promise<dgram.Socket> {
    const [min, max] = this.range;
    const first = min + (min % 2);
    const slots = Math.max(1, Math.floor((max - first) / 2) + 1);
    for (let i = 0; i < slots; i++) {
      const port = this.cursor;
      this.cursor = port + 2 > max ? first : port + 2;
      const sock = dgram.createSocket(net.isIPv6(this.host) ? 'udp6' : 'udp4');
      const ok = await new Promise<boolean>((resolve) => {
        sock.once('error', () => resolve(false));
        sock.bind(port, this.host, () => resolve(true));
      });
      if (ok) {
        sock.removeAllListeners('error');
        return sock;
      }
      sock.close();
    }
    throw new Error(`no free RTP port in ${min}-${max}`);
  }
}
