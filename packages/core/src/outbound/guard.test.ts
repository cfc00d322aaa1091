import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { addressRange } from './address.js';
import { OutboundGuard, OutboundRefusedError, outboundRefusal } from './guard.js';
import { parseHostRule, ruleMatches, targetOf } from './host-rules.js';

const closed = () => new OutboundGuard({ allowPrivateNetworks: false, allowedHosts: [] });

test('every non-public range is refused, public unicast is not', () => {
  const refused: Record<string, string> = {
    '127.0.0.1': 'loopback',
    '127.255.0.9': 'loopback',
    '10.1.2.3': 'private',
    '172.16.0.1': 'private',
    '172.31.255.255': 'private',
    '192.168.1.1': 'private',
    '169.254.169.254': 'linkLocal',
    '100.64.0.1': 'carrierGradeNat',
    '0.0.0.0': 'unspecified',
    '224.0.0.1': 'multicast',
    '255.255.255.255': 'broadcast',
    '::1': 'loopback',
    '::': 'unspecified',
    'fc00::1': 'uniqueLocal',
    'fd12:3456::1': 'uniqueLocal',
    'fe80::1': 'linkLocal',
    'ff02::1': 'multicast',
    // IPv4-mapped forms are judged as the IPv4 address they carry.
    '::ffff:127.0.0.1': 'loopback',
    '::ffff:7f00:1': 'loopback',
    '::ffff:169.254.169.254': 'linkLocal',
    '::ffff:a00:1': 'private',
    // NAT64 and 6to4 forms embed an IPv4 address and are refused as a whole; IPv4-compatible ones
    // (deprecated) are read as the address they carry.
    '64:ff9b::7f00:1': 'rfc6052',
    '2002:7f00:1::': '6to4',
    '::127.0.0.1': 'loopback',
  };
  for (const [ip, range] of Object.entries(refused)) assert.equal(addressRange(ip), range, ip);
  for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
    assert.equal(addressRange(ip), undefined, ip);
  }
});

test('an IP literal URL in a refused range fails before any connection, naming the setting', () => {
  const g = closed();
  for (const url of [
    'http://127.0.0.1:9/x',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://169.254.169.254/latest/meta-data/',
    'wss://10.0.0.1/ws',
    'http://0x7f.1/', // the URL parser reads this as 127.0.0.1
  ]) {
    assert.throws(
      () => g.checkUrl(url),
      (e: unknown) => e instanceof OutboundRefusedError && /OUTBOUND_ALLOW_PRIVATE_NETWORKS/.test(e.message),
      url,
    );
  }
  assert.throws(() => g.checkUrl('ftp://example.com/'), OutboundRefusedError);
  assert.doesNotThrow(() => g.checkUrl('https://8.8.8.8/'));
});

test('a name that resolves to a private address is refused at lookup, and nothing connects', async () => {
  let hits = 0;
  const server = createServer((_q, r) => {
    hits++;
    r.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const g = closed();
  try {
    // `localhost` is a name: the check happens when it resolves, for fetch and for http.request.
    const err = await g.fetch(`http://localhost:${port}/`).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(outboundRefusal(err), `expected a refusal, got ${String(err)}`);
    const viaRequest = await new Promise<unknown>((resolve) => {
      const req = request(`http://localhost:${port}/`, g.socketOptions(`http://localhost:${port}/`), () =>
        resolve(undefined),
      );
      req.on('error', resolve);
      req.end();
    });
    assert.ok(outboundRefusal(viaRequest), `expected a refusal, got ${String(viaRequest)}`);
    assert.equal(hits, 0);
  } finally {
    await g.close();
    server.close();
  }
});

test('a redirect to a private address is refused at the hop', async () => {
  let hits = 0;
  const target = createServer((_q, r) => {
    hits++;
    r.end('secret');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const { port } = target.address() as AddressInfo;
  // The first hop is allowed by name (localhost:<redirector>), the redirect points at an IP literal.
  const redirector = createServer((_q, r) => {
    r.writeHead(302, { location: `http://127.0.0.1:${port}/` }).end();
  });
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
  const rport = (redirector.address() as AddressInfo).port;
  const g = new OutboundGuard({ allowPrivateNetworks: false, allowedHosts: [`localhost:${rport}`] });
  try {
    const err = await g.fetch(`http://localhost:${rport}/`).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(outboundRefusal(err), `expected a refusal, got ${String(err)}`);
    assert.equal(hits, 0);
  } finally {
    await g.close();
    target.close();
    redirector.close();
  }
});

test('the operator allow-list admits hosts by name, host:port and CIDR; the switch admits all', async () => {
  const server = createServer((_q, r) => r.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const ok = async (g: OutboundGuard, url: string) => {
    try {
      const res = await g.fetch(url);
      return (await res.text()) === 'ok';
    } catch (e) {
      if (outboundRefusal(e)) return false;
      throw e;
    } finally {
      await g.close();
    }
  };
  const guard = (allowedHosts: string[], allowPrivateNetworks = false) =>
    new OutboundGuard({ allowPrivateNetworks, allowedHosts });
  try {
    assert.equal(await ok(guard([`localhost:${port}`]), `http://localhost:${port}/`), true);
    assert.equal(await ok(guard([`localhost:${port + 1}`]), `http://localhost:${port}/`), false);
    assert.equal(await ok(guard(['localhost']), `http://localhost:${port}/`), true);
    assert.equal(await ok(guard(['127.0.0.0/8']), `http://127.0.0.1:${port}/`), true);
    // A CIDR rule admits a name by the address it resolves to.
    assert.equal(await ok(guard(['127.0.0.0/8']), `http://localhost:${port}/`), true);
    assert.equal(await ok(guard(['10.0.0.0/8']), `http://127.0.0.1:${port}/`), false);
    assert.equal(await ok(guard([`127.0.0.1:${port}`]), `http://127.0.0.1:${port}/`), true);
    assert.equal(await ok(guard([], true), `http://127.0.0.1:${port}/`), true);
    assert.equal(await ok(guard([]), `http://127.0.0.1:${port}/`), false);
  } finally {
    server.close();
  }
});

test('a pin limits requests to its hosts whatever the network policy allows', () => {
  const rules = ['api.openai.com', '*.openai.azure.com', 'llm.internal:8000'].map((r) => {
    const p = parseHostRule(r);
    assert.notEqual(typeof p, 'string', r);
    return p as Exclude<typeof p, string>;
  });
  const g = new OutboundGuard({ allowPrivateNetworks: true, allowedHosts: [] }).pinned({
    rules,
    explain: 'the credential',
  });
  assert.doesNotThrow(() => g.checkUrl('https://api.openai.com/v1'));
  assert.doesNotThrow(() => g.checkUrl('https://me.openai.azure.com/x'));
  assert.doesNotThrow(() => g.checkUrl('http://llm.internal:8000/v1'));
  assert.throws(() => g.checkUrl('http://llm.internal:8001/v1'), /not an allowed host for the credential/);
  assert.throws(() => g.checkUrl('https://openai.azure.com/'), OutboundRefusedError);
  assert.throws(() => g.checkUrl('https://api.openai.com.evil.example/'), OutboundRefusedError);
  assert.throws(() => g.checkUrl('http://127.0.0.1/'), OutboundRefusedError);
});

test('host rules parse hosts, ports, suffixes, IPv6 and CIDR, and name what is wrong', () => {
  assert.deepEqual(parseHostRule('API.Example.com'), { kind: 'host', host: 'api.example.com' });
  assert.deepEqual(parseHostRule('localhost:11434'), { kind: 'host', host: 'localhost', port: 11434 });
  assert.deepEqual(parseHostRule('*.example.com:443'), { kind: 'suffix', suffix: 'example.com', port: 443 });
  const v6 = parseHostRule('[::1]:8080');
  assert.ok(typeof v6 !== 'string' && v6.kind === 'cidr' && v6.port === 8080);
  const t = targetOf('http://[::1]:8080/')!;
  assert.ok(typeof v6 !== 'string' && ruleMatches(v6, t));
  assert.ok(typeof v6 !== 'string' && !ruleMatches(v6, { ...t, port: 8081 }));
  const mapped = parseHostRule('::ffff:10.0.0.0/104');
  assert.ok(typeof mapped !== 'string' && ruleMatches(mapped, { host: 'x', port: 1 }, '10.9.9.9'));
  assert.equal(typeof parseHostRule('http://example.com'), 'string');
  assert.equal(typeof parseHostRule('*.com'), 'string');
  assert.equal(typeof parseHostRule('example.com:99999'), 'string');
  assert.equal(typeof parseHostRule('10.0.0.0/33'), 'string');
  assert.equal(typeof parseHostRule(''), 'string');
});
