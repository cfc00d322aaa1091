/**
 * The fixture the ARI tests share: a fake Asterisk (ARI REST and events) with a UDP socket as its
 * RTP end, and an AriStasisApp connected to it. Tests import it relatively; the package index
 * does not.
 */
import dgram from 'node:dgram';
import { silentLogger } from '@switchboard/core';
import { initMedia } from '@switchboard/media';
import { AriStasisApp, type AriStasisAppOptions } from './ari-app.js';
import { FakeAriServer } from './fake-ari-server.js';

export interface AriFixture {
  ari: FakeAriServer;
  app: AriStasisApp;
  /** The fake Asterisk's RTP socket: externalMedia sends our RTP here. */
  asterisk: dgram.Socket;
  /** Every RTP packet the app sent to `asterisk`, in order. */
  received: Buffer[];
  /** Stops the app, then the fake Asterisk. */
  close(): Promise<void>;
}

/** Starts a fake Asterisk and an app on it with these options (the connection ones filled in). */
export async function startAriFixture(
  options: Pick<AriStasisAppOptions, 'format' | 'rtpPortRange' | 'onCall' | 'reconnectMinMs'>,
): Promise<AriFixture> {
  await initMedia();
  const ari = await FakeAriServer.start();
  const asterisk = dgram.createSocket('udp4');
  await new Promise<void>((r) => asterisk.bind(0, '127.0.0.1', r));
  const received: Buffer[] = [];
  asterisk.on('message', (m) => received.push(m));
  ari.rtpTarget = { address: '127.0.0.1', port: asterisk.address().port };
  const app = new AriStasisApp({
    url: ari.url,
    username: 'switchboard',
    password: 'secret',
    app: 'switchboard',
    mediaHost: '127.0.0.1',
    logger: silentLogger(),
    ...options,
  });
  await app.start();
  return {
    ari,
    app,
    asterisk,
    received,
    async close() {
      await app.stop();
      asterisk.close();
      await ari.close();
    },
  };
}
