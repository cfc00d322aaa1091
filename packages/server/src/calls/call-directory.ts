import { randomUUID } from 'node:crypto';
import type { ErrorCode, Logger } from '@switchboard/core';
import type { RecordingState } from '@switchboard/engine';
import type { Redis } from 'ioredis';
import type { ControlCommand } from './call-control.js';

/** A control command sent to the process that runs the call. */
export interface RoutedCommand {
  callId: string;
  workspaceId: string;
  command: ControlCommand;
}

/** What the process running the call answered. */
export type RoutedReply =
  | { ok: true; recording?: RecordingState }
  | { ok: false; code: ErrorCode; message: string };

/** `gone`: no process listens on the owner's channel; `timeout`: sent, but no answer in time. */
export type SendResult = RoutedReply | 'gone' | 'timeout';

export interface CallDirectoryStats {
  /** Processes whose heartbeat is current. */
  workers: number;
  /** Live calls registered by all processes (a dead process's calls until they are swept). */
  liveCalls: number;
}

interface Envelope {
  /** Request id. */
  id: string;
  /** Instance id to answer to (requests only). */
  from?: string;
  request?: RoutedCommand;
  reply?: RoutedReply;
}

const CALLS_KEY = 'switchboard:calls:owner';
const WORKERS_KEY = 'switchboard:workers';
const WORKER_PREFIX = 'switchboard:worker:';
const channelOf = (instanceId: string) => `${WORKER_PREFIX}${instanceId}`;
const callsOf = (instanceId: string) => `${WORKER_PREFIX}${instanceId}:calls`;

/** The owner of a call (KEYS[1] field ARGV[1]) if its lease (in KEYS[2]) runs past ARGV[2]: one round trip. */
const LIVE_OWNER = `
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if not owner then return false end
local expires = redis.call('ZSCORE', KEYS[2], owner)
if expires and tonumber(expires) > tonumber(ARGV[2]) then return owner end
return false`;

/**
 * Forgets workers whose lease has passed, with their calls: one round trip, atomic, run by every
 * heartbeat (idempotent when several processes run it at once). It names keys it computes, so it
 * needs a single Redis (or one hash slot), not Redis Cluster.
 */
const PRUNE_DEAD = `
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, id in ipairs(dead) do
  local set = ARGV[2] .. id .. ':calls'
  local calls = redis.call('SMEMBERS', set)
  for i = 1, #calls, 500 do
    redis.call('HDEL', KEYS[2], unpack(calls, i, math.min(i + 499, #calls)))
  end
  redis.call('DEL', set)
  redis.call('ZREM', KEYS[1], id)
end
return #dead`;

export interface RedisCallDirectoryOptions {
  redis: Redis;
  /** This process's instance id (the owner written on its calls' rows too). */
  instanceId: string;
  /** A process whose heartbeat is older than this is taken for dead (`CALL_LEASE_TIMEOUT_MS`). */
  leaseMs: number;
  logger: Logger;
  /** How long `send` waits for the owner's answer. */
  replyTimeoutMs?: number;
}

/**
 * Which process runs each live call, shared through Redis, and a channel per process so a
 * control command reaches the one process that runs the call instead of every process.
 *
 * - `switchboard:calls:owner` is a hash of call id → instance id, and
 *   `switchboard:worker:<instanceId>:calls` the set of each process's calls. A process adds a call
 *   when it starts and removes it when it ends; each heartbeat writes all its live calls again, so
 *   a Redis that restarted empty (it may keep nothing on disk) is whole again after one heartbeat.
 * - `switchboard:workers` is a sorted set of instance ids scored by when their heartbeat expires.
 *   An owner whose score has passed is dead: it is never routed to, and the next heartbeat of any
 *   process removes it with its calls. Those calls' rows are ended as lost by the PostgreSQL
 *   sweep, which stays the source of truth for call rows.
 * - Each process subscribes to `switchboard:worker:<instanceId>` for commands and for answers to
 *   the commands it sent. `PUBLISH` says how many subscribers received a message, so a command to
 *   a process that is gone is known at once instead of after a timeout.
 *
 * Per call it costs one write at the start and one at the end; nothing on the media path.
 */
export class RedisCallDirectory {
  readonly #o: Required<RedisCallDirectoryOptions>;
  #subscriber: Redis | undefined;
  #handler: ((cmd: RoutedCommand) => Promise<RoutedReply>) | undefined;
  readonly #waiting = new Map<string, (reply: RoutedReply) => void>();

  constructor(options: RedisCallDirectoryOptions) {
    this.#o = { replyTimeoutMs: 3_000, ...options };
  }

  get instanceId(): string {
    return this.#o.instanceId;
  }

  /** Subscribes to this process's channel and announces it as a live worker. */
  async start(): Promise<void> {
    const sub = this.#o.redis.duplicate();
    this.#subscriber = sub;
    sub.on('message', (_channel: string, message: string) => this.#received(message));
    sub.on('error', () => {}); // the main connection reports Redis's state
    await sub.subscribe(channelOf(this.#o.instanceId));
    await this.heartbeat([]);
  }

  /** Stops answering and removes this process and its calls from the directory. */
  async stop(ownCalls: string[] = []): Promise<void> {
    const sub = this.#subscriber;
    this.#subscriber = undefined;
    for (const resolve of this.#waiting.values())
      resolve({ ok: false, code: 'unavailable', message: 'shutting down' });
    this.#waiting.clear();
    await sub?.quit().catch(() => sub.disconnect());
    const m = this.#o.redis.multi().zrem(WORKERS_KEY, this.#o.instanceId).del(callsOf(this.#o.instanceId));
    if (ownCalls.length > 0) m.hdel(CALLS_KEY, ...ownCalls);
    await m.exec().catch(() => {});
  }

  /** Carries out commands routed to this process (the call control of this process). */
  serve(handler: (cmd: RoutedCommand) => Promise<RoutedReply>): void {
    this.#handler = handler;
  }

  /** This process runs `callId` from now on. Never throws: Redis trouble is logged, not fatal to a call. */
  claim(callId: string): void {
    this.#o.redis
      .multi()
      .hset(CALLS_KEY, callId, this.#o.instanceId)
      .sadd(callsOf(this.#o.instanceId), callId)
      .exec()
      .catch((e: unknown) => this.#warn('claim', e));
  }

  /** The call ended here. */
  release(callId: string): void {
    this.#o.redis
      .multi()
      .hdel(CALLS_KEY, callId)
      .srem(callsOf(this.#o.instanceId), callId)
      .exec()
      .catch((e: unknown) => this.#warn('release', e));
  }

  /**
   * Marks this process alive until now + lease, rewrites its live calls, and forgets workers whose
   * lease passed together with their calls.
   */
  async heartbeat(liveCallIds: string[]): Promise<void> {
    const now = Date.now();
    const m = this.#o.redis
      .multi()
      .eval(PRUNE_DEAD, 2, WORKERS_KEY, CALLS_KEY, now, WORKER_PREFIX)
      .zadd(WORKERS_KEY, now + this.#o.leaseMs, this.#o.instanceId);
    if (liveCallIds.length > 0) {
      m.hset(CALLS_KEY, Object.fromEntries(liveCallIds.map((id) => [id, this.#o.instanceId])));
      m.sadd(callsOf(this.#o.instanceId), ...liveCallIds);
    }
    await m.exec();
  }

  /** The live process that runs `callId`, or undefined (no entry, or its owner is dead). */
  async ownerOf(callId: string): Promise<string | undefined> {
    const owner = await this.#o.redis.eval(LIVE_OWNER, 2, CALLS_KEY, WORKERS_KEY, callId, Date.now());
    return typeof owner === 'string' ? owner : undefined;
  }

  /** Sends `cmd` to `owner` and waits for its answer. */
  async send(owner: string, cmd: RoutedCommand): Promise<SendResult> {
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<SendResult>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#o.replyTimeoutMs);
      this.#waiting.set(id, resolve);
    });
    try {
      const envelope: Envelope = { id, from: this.#o.instanceId, request: cmd };
      const receivers = await this.#o.redis.publish(channelOf(owner), JSON.stringify(envelope));
      return receivers === 0 ? 'gone' : await answered;
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(id);
    }
  }

  /** Workers alive and calls registered across every process, for readiness and metrics. */
  async stats(): Promise<CallDirectoryStats> {
    const [workers, liveCalls] = await Promise.all([
      this.#o.redis.zcount(WORKERS_KEY, Date.now(), '+inf'),
      this.#o.redis.hlen(CALLS_KEY),
    ]);
    return { workers, liveCalls };
  }

  #received(message: string): void {
    let env: Envelope;
    try {
      env = JSON.parse(message) as Envelope;
    } catch {
      return;
    }
    if (typeof env.id !== 'string') return;
    if (env.reply) {
      this.#waiting.get(env.id)?.(env.reply);
      return;
    }
    const { request, from } = env;
    if (!request || typeof from !== 'string' || !this.#handler) return;
    this.#handler(request)
      .catch((e: unknown): RoutedReply => ({ ok: false, code: 'internal', message: String(e) }))
      .then((reply) => {
        const answer: Envelope = { id: env.id, reply };
        return this.#o.redis.publish(channelOf(from), JSON.stringify(answer));
      })
      .catch((e: unknown) => this.#warn('reply', e));
  }

  #warn(what: string, e: unknown): void {
    this.#o.logger.warn({ err: e instanceof Error ? e.message : String(e) }, `call directory ${what} failed`);
  }
}
