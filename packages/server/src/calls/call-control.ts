import { AppError, conflict, isAppError, type Logger } from '@switchboard/core';
import type { CallSession, RecordingState } from '@switchboard/engine';
import type { Call, Store } from '@switchboard/store';
import type { RedisCallDirectory, RoutedCommand, RoutedReply } from './call-directory.js';
import type { CallRunner } from './call-runner.js';

/** Every process listens here; the one running the call carries the command out. */
export const CONTROL_CHANNEL = 'call_control';

export type ControlCommand =
  | { action: 'hangup' }
  | { action: 'say'; text: string; interrupt: boolean }
  | { action: 'inject'; text: string }
  | {
      action: 'transfer';
      target: string;
      message?: string;
      mode?: 'cold' | 'warm';
      summary?: string;
      hold?: 'music' | 'silence';
      timeoutMs?: number;
    }
  | { action: 'recording'; state: RecordingState };

export interface ControlOutcome {
  callId: string;
  action: ControlCommand['action'];
  /**
   * `applied`: the process that runs the call carried the command out (this one, or the one Redis
   * routed it to). `forwarded`: broadcast to every process without an answer (no Redis, or the
   * owner did not answer in time). `cancelled`: an outbound call not answered yet was cancelled
   * instead of hung up.
   */
  result: 'applied' | 'forwarded' | 'cancelled';
  /** The recording's state after a recording command that was applied here. */
  recording?: RecordingState;
}

export interface CallControlOptions {
  store: Store;
  logger: Logger;
  /** The calls this process runs; without it every command is forwarded. */
  runner?: CallRunner;
  /** Cancels an outbound call that has no session yet (queued, or ringing). */
  cancelOutbound?: (workspaceId: string, callId: string) => Promise<unknown>;
  /** With Redis: commands go to the one process that runs the call and its answer comes back. */
  directory?: RedisCallDirectory;
}

/**
 * Hang-up, say, inject and recording commands for live calls, whichever process runs them. A call
 * running here is controlled directly, so a refusal (the call is not recorded, it is ending)
 * reaches the client. A call running elsewhere gets the command through the Redis call directory
 * when there is one (routed to its owner, whose refusal also reaches the client), and over a
 * PostgreSQL NOTIFY broadcast otherwise, or when the directory does not know the call.
 */
export class CallControl {
  readonly #o: CallControlOptions;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(options: CallControlOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    this.#unlisten = await this.#o.store.database.listen(CONTROL_CHANNEL, (payload) =>
      this.#received(payload),
    );
    this.#o.directory?.serve((cmd) => this.#routed(cmd));
  }

  async stop(): Promise<void> {
    await this.#unlisten?.().catch(() => {});
    this.#unlisten = undefined;
  }

  async apply(workspaceId: string, callId: string, command: ControlCommand): Promise<ControlOutcome> {
    const base = { callId, action: command.action };
    // A call running here is controlled before its row is read: the row is written after the
    // call's first event, and may not exist yet in the call's first moments.
    const session = this.#o.runner?.session(callId, workspaceId);
    if (session) return { ...base, result: 'applied', ...(await applyTo(session, command)) };
    const call = await this.#o.store.calls.get(workspaceId, callId);
    if (call.status === 'ended') throw conflict(`call already ended (${call.outcome ?? 'unknown'})`);
    if (command.action === 'hangup' && call.direction === 'outbound' && !answered(call)) {
      if (!this.#o.cancelOutbound) throw conflict('this call has not been answered yet');
      await this.#o.cancelOutbound(workspaceId, callId);
      return { ...base, result: 'cancelled' };
    }
    if (!answered(call)) throw conflict(`the call has not been answered yet (${call.status})`);
    const routed = await this.#route({ callId, workspaceId, command });
    if (routed) return { ...base, ...routed };
    await this.#o.store.database.notify(CONTROL_CHANNEL, JSON.stringify({ callId, workspaceId, command }));
    return { ...base, result: 'forwarded' };
  }

  /** Sends the command to the call's owner through the directory; undefined = broadcast instead. */
  async #route(cmd: RoutedCommand): Promise<Pick<ControlOutcome, 'result' | 'recording'> | undefined> {
    const directory = this.#o.directory;
    if (!directory) return undefined;
    const owner = await directory.ownerOf(cmd.callId).catch((e: unknown) => {
      this.#o.logger.warn({ err: (e as Error).message }, 'call directory unreachable; broadcasting');
      return undefined;
    });
    if (!owner || owner === directory.instanceId) return undefined;
    const answer = await directory.send(owner, cmd);
    if (answer === 'gone') return undefined;
    if (answer === 'timeout') return { result: 'forwarded' };
    if (!answer.ok) throw new AppError(answer.code, answer.message);
    return { result: 'applied', ...(answer.recording ? { recording: answer.recording } : {}) };
  }

  /** A command the directory routed here, for a call this process should be running. */
  async #routed({ callId, workspaceId, command }: RoutedCommand): Promise<RoutedReply> {
    const session = this.#o.runner?.session(callId, workspaceId);
    if (!session) return { ok: false, code: 'conflict', message: 'call already ended' };
    try {
      return { ok: true, ...(await applyTo(session, command)) };
    } catch (e) {
      return isAppError(e)
        ? { ok: false, code: e.code, message: e.message }
        : { ok: false, code: 'internal', message: 'the command failed' };
    }
  }

  #received(payload: string): void {
    let msg: { callId?: unknown; workspaceId?: unknown; command?: ControlCommand };
    try {
      msg = JSON.parse(payload);
    } catch {
      return;
    }
    const { callId, workspaceId } = msg;
    const session =
      typeof callId === 'string' && typeof workspaceId === 'string'
        ? this.#o.runner?.session(callId, workspaceId)
        : undefined;
    const command = msg.command;
    if (!session || !command) return;
    const refused = (e: unknown) =>
      this.#o.logger.warn(
        { callId, action: command.action, err: e instanceof Error ? e.message : String(e) },
        'call control command refused',
      );
    try {
      applyTo(session, command).catch(refused);
    } catch (e) {
      refused(e);
    }
  }
}

const answered = (call: Call) => call.status === 'in-progress' || call.owner !== null;

async function applyTo(
  session: CallSession,
  command: ControlCommand,
): Promise<{ recording?: RecordingState }> {
  if (command.action === 'hangup') {
    session.end('api-hangup');
    return {};
  }
  const controls = session.controls;
  if (!controls) throw conflict('the call has not been answered yet');
  switch (command.action) {
    case 'say':
      controls.say(command.text, command.interrupt);
      return {};
    case 'inject':
      controls.inject(command.text);
      return {};
    case 'transfer':
      await controls.transfer(command.target, {
        ...(command.message ? { message: command.message } : {}),
        ...(command.mode ? { mode: command.mode } : {}),
        ...(command.summary ? { summary: command.summary } : {}),
        ...(command.hold ? { hold: command.hold } : {}),
        ...(command.timeoutMs ? { timeoutMs: command.timeoutMs } : {}),
      });
      return {};
    case 'recording':
      return {
        recording:
          command.state === 'paused' ? controls.pauseRecording('api') : controls.resumeRecording('api'),
      };
  }
}
