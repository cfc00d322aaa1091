/**
 * RFC 3261 §17 transactions, reduced to what a UA needs: server-side de-duplication (a
 * retransmitted request gets the last response again, non-2xx INVITE finals are retransmitted
 * until ACK) and client-side retransmission (Timers A/B/E/F) with response matching by branch.
 * Timers that only keep state for late retransmissions are unref'd: they must not hold a
 * process open, and `clear()` cancels all of them.
 */
import type { Clock } from '@switchboard/media';
import { getHeader, getHeaders, parseCSeq, topVia } from './headers.js';
import type { SipRequest, SipResponse } from './message.js';
import type { SipPeer } from './transport.js';

export interface SipTimers {
  /** RTT estimate, 500 ms by default (RFC 3261 §17.1.1.1). */
  t1Ms: number;
  /** Longest retransmit interval for non-INVITE requests and INVITE responses, 4 s by default. */
  t2Ms: number;
}

export const DEFAULT_SIP_TIMERS: SipTimers = { t1Ms: 500, t2Ms: 4000 };

type Send = (message: SipRequest | SipResponse, peer: SipPeer, onError?: (err: Error) => void) => void;

function unrefTimer(fn: () => void, ms: number): () => void {
  const h = setTimeout(fn, ms);
  h.unref();
  return () => clearTimeout(h);
}

const txKey = (branch: string, method: string, callId: string) => `${branch}\n${method}\n${callId}`;

interface ServerTx {
  response?: SipResponse;
  peer: SipPeer;
  cancelTimers: Array<() => void>;
}

export type ServerTxVerdict = 'new' | 'retransmission' | 'absorbed-ack';

export class ServerTransactions {
  private readonly txs = new Map<string, ServerTx>();

  constructor(
    private readonly timers: SipTimers,
    private readonly send: Send,
  ) {}

  get size(): number {
    return this.txs.size;
  }

  private keyOf(req: SipRequest, method = req.method): string {
    const branch = topVia(req).params.get('branch') ?? '';
    return txKey(branch, method, getHeader(req, 'call-id') ?? '');
  }

  /** Registers a new request, or handles a retransmission / the ACK of a non-2xx final. */
  receive(req: SipRequest, peer: SipPeer): ServerTxVerdict {
    if (req.method === 'ACK') {
      const tx = this.txs.get(this.keyOf(req, 'INVITE'));
      if (!tx?.response || tx.response.status < 300) return 'new';
      for (const c of tx.cancelTimers.splice(0)) c();
      tx.cancelTimers.push(unrefTimer(() => this.txs.delete(this.keyOf(req, 'INVITE')), this.timers.t2Ms));
      return 'absorbed-ack';
    }
    const key = this.keyOf(req);
    const tx = this.txs.get(key);
    if (tx) {
      if (tx.response) this.send(tx.response, peer);
      return 'retransmission';
    }
    this.txs.set(key, { peer, cancelTimers: [] });
    return 'new';
  }

  /** True when an INVITE with this branch is still waiting for its final response. */
  isPendingInvite(cancel: SipRequest): boolean {
    const tx = this.txs.get(this.keyOf(cancel, 'INVITE'));
    return tx !== undefined && (tx.response === undefined || tx.response.status < 200);
  }

  /** Sends a response and remembers it for retransmitted requests. */
  respond(req: SipRequest, res: SipResponse): void {
    const key = this.keyOf(req);
    const tx = this.txs.get(key);
    if (!tx) return;
    tx.response = res;
    this.send(res, tx.peer);
    if (res.status < 200) return;
    for (const c of tx.cancelTimers.splice(0)) c();
    const lifetime = 64 * this.timers.t1Ms;
    tx.cancelTimers.push(unrefTimer(() => this.txs.delete(key), lifetime));
    if (req.method === 'INVITE' && res.status >= 300 && tx.peer.transport === 'udp') {
      // Timer G: repeat the final response until the ACK arrives (or Timer H ends the wait).
      let interval = this.timers.t1Ms;
      const again = () => {
        this.send(res, tx.peer);
        interval = Math.min(interval * 2, this.timers.t2Ms);
        tx.cancelTimers.push(unrefTimer(again, interval));
      };
      tx.cancelTimers.push(unrefTimer(again, interval));
    }
  }

  clear(): void {
    for (const tx of this.txs.values()) for (const c of tx.cancelTimers) c();
    this.txs.clear();
  }
}

export class SipTransactionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SipTransactionError';
  }
}

export interface ClientTxHandlers {
  onProvisional?(res: SipResponse): void;
}

interface ClientTx {
  req: SipRequest;
  peer: SipPeer;
  handlers: ClientTxHandlers;
  resolve(res: SipResponse): void;
  reject(err: Error): void;
  cancelTimers: Array<() => void>;
  provisional: boolean;
  done: boolean;
  /** ACK for a non-2xx final INVITE response, resent on each retransmitted final. */
  ack?: SipRequest;
}

export class ClientTransactions {
  private readonly txs = new Map<string, ClientTx>();

  constructor(
    private readonly clock: Clock,
    private readonly timers: SipTimers,
    private readonly send: Send,
  ) {}

  /** Transactions still waiting for a final response. */
  get size(): number {
    let n = 0;
    for (const tx of this.txs.values()) if (!tx.done) n++;
    return n;
  }

  /** Sends `req` (its top Via carries a fresh branch) and resolves with the final response. */
  request(req: SipRequest, peer: SipPeer, handlers: ClientTxHandlers = {}): Promise<SipResponse> {
    const method = req.method;
    const key = txKey(topVia(req).params.get('branch') ?? '', method, getHeader(req, 'call-id') ?? '');
    return new Promise((resolve, reject) => {
      const tx: ClientTx = {
        req,
        peer,
        handlers,
        resolve,
        reject,
        cancelTimers: [],
        provisional: false,
        done: false,
      };
      this.txs.set(key, tx);
      const fail = (err: Error) => this.finish(key, tx, () => reject(err));
      this.send(req, peer, fail);
      const { t1Ms, t2Ms } = this.timers;
      if (peer.transport === 'udp') {
        let interval = t1Ms;
        const again = () => {
          if (tx.done) return;
          // INVITE stops after a provisional; non-INVITE keeps going at T2 (RFC 3261 §17.1.2.2).
          if (method === 'INVITE' && tx.provisional) return;
          this.send(req, peer);
          interval = method === 'INVITE' ? interval * 2 : Math.min(interval * 2, t2Ms);
          tx.cancelTimers.push(this.clock.schedule(again, tx.provisional ? t2Ms : interval));
        };
        tx.cancelTimers.push(this.clock.schedule(again, interval));
      }
      tx.cancelTimers.push(
        this.clock.schedule(() => {
          // Timer B stops counting once the callee rang: ringing time is the caller's decision.
          if (method === 'INVITE' && tx.provisional) return;
          fail(new SipTransactionError(`${method} timed out after ${(64 * t1Ms) / 1000} s`));
        }, 64 * t1Ms),
      );
    });
  }

  /** Routes a response to its transaction; false when none matches (e.g. a 2xx retransmission). */
  receive(res: SipResponse, peer: SipPeer): boolean {
    let key: string;
    try {
      key = txKey(
        topVia(res).params.get('branch') ?? '',
        parseCSeq(getHeader(res, 'cseq') ?? '').method,
        getHeader(res, 'call-id') ?? '',
      );
    } catch {
      return false;
    }
    const tx = this.txs.get(key);
    if (!tx) return false;
    if (tx.done) {
      if (tx.ack) this.send(tx.ack, peer);
      return true;
    }
    if (res.status < 200) {
      tx.provisional = true;
      tx.handlers.onProvisional?.(res);
      return true;
    }
    if (tx.req.method === 'INVITE' && res.status >= 300) {
      tx.ack = ackForNonSuccess(tx.req, res);
      this.send(tx.ack, tx.peer);
      // Timer D: keep answering retransmitted finals with the ACK for a while.
      this.finish(key, tx, () => tx.resolve(res), peer.transport === 'udp' ? 64 * this.timers.t1Ms : 0);
      return true;
    }
    this.finish(key, tx, () => tx.resolve(res));
    return true;
  }

  private finish(key: string, tx: ClientTx, settle: () => void, lingerMs = 0): void {
    if (tx.done) return;
    tx.done = true;
    for (const c of tx.cancelTimers.splice(0)) c();
    if (lingerMs > 0) tx.cancelTimers.push(unrefTimer(() => this.txs.delete(key), lingerMs));
    else this.txs.delete(key);
    settle();
  }

  /** Fails every pending transaction and forgets the rest (server shutdown). */
  clear(): void {
    for (const [key, tx] of [...this.txs]) {
      if (tx.done) for (const c of tx.cancelTimers) c();
      else this.finish(key, tx, () => tx.reject(new SipTransactionError('SIP stack stopped')));
    }
    this.txs.clear();
  }
}

/** RFC 3261 §17.1.1.3: the ACK for a 3xx-6xx is part of the INVITE transaction (same branch). */
function ackForNonSuccess(invite: SipRequest, res: SipResponse): SipRequest {
  const headers = [
    { name: 'Via', value: getHeaders(invite, 'via')[0] ?? '' },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: getHeader(invite, 'from') ?? '' },
    { name: 'To', value: getHeader(res, 'to') ?? '' },
    { name: 'Call-ID', value: getHeader(invite, 'call-id') ?? '' },
    { name: 'CSeq', value: `${parseCSeq(getHeader(invite, 'cseq') ?? '').seq} ACK` },
    ...getHeaders(invite, 'route').map((value) => ({ name: 'Route', value })),
  ];
  return {
    kind: 'request',
    method: 'ACK',
    uri: invite.uri,
    version: 'SIP/2.0',
    headers,
    body: Buffer.alloc(0),
  };
}
