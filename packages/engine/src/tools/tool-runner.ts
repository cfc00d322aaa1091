import type { Logger, ToolConfig } from '@switchboard/core';
import type { ToolCall, ToolDefinition } from '../providers/types.js';
import type { Clock } from '../util/clock.js';
import { callHttpTool } from './http-tool.js';
import { checkArguments } from './json-schema.js';

/** What a tool asks the session to do after its result is recorded. */
export type ToolEffect =
  | { kind: 'end-call' }
  | {
      kind: 'transfer';
      target: string;
      message?: string;
      /** `warm`: the person is called and told about the call before the caller joins. */
      mode: 'cold' | 'warm';
      hold: 'music' | 'silence';
      timeoutMs: number;
    };

export interface ToolOutcome {
  call: ToolCall;
  args: unknown;
  ok: boolean;
  /** The result, or `{ error }` when `ok` is false; fed back to the model as JSON. */
  result: unknown;
  durationMs: number;
  effect?: ToolEffect;
}

export interface ToolRunnerContext {
  callId: string;
  clock: Clock;
  logger: Logger;
  /** Absent in text mode, where keypresses are only simulated. */
  sendDtmf?: (digits: string) => Promise<void>;
  /** Pauses or resumes the call's recording; answers its state. Absent where nothing is recorded. */
  recording?: (action: 'pause' | 'resume') => string;
  /** Looks up a credential's secret (for signing http tool requests). */
  resolveSecret?: (credentialId: string) => Promise<string | undefined>;
  /** Signs http tools that name no credential of their own. */
  signingSecret?: string;
  fetch?: typeof fetch;
  /** Limit for built-in tools; http tools carry their own. */
  defaultTimeoutMs?: number;
  /** Tools the platform provides beside the configured ones (knowledge search). */
  builtins?: readonly BuiltinTool[];
}

/** The JSON schema the model sees for each configured tool. */
export function toolDefinition(tool: ToolConfig): ToolDefinition {
  switch (tool.type) {
    case 'end_call':
      return {
        name: tool.name,
        description: tool.description,
        parameters: { type: 'object', properties: {} },
      };
    case 'transfer': {
      const labels = tool.destinations.map((d) => d.label);
      return {
        name: tool.name,
        description: `${tool.description} Destinations: ${labels.join(', ')}.`,
        parameters: {
          type: 'object',
          properties: { destination: { type: 'string', enum: labels } },
          ...(labels.length > 1 ? { required: ['destination'] } : {}),
        },
      };
    }
    case 'send_dtmf':
      return {
        name: tool.name,
        description: tool.description,
        parameters: {
          type: 'object',
          properties: { digits: { type: 'string', pattern: '^[0-9*#A-Da-d]{1,32}$' } },
          required: ['digits'],
        },
      };
    case 'recording':
      return {
        name: tool.name,
        description: tool.description,
        parameters: {
          type: 'object',
          properties: { action: { type: 'string', enum: ['pause', 'resume'] } },
          required: ['action'],
        },
      };
    case 'http':
      return { name: tool.name, description: tool.description, parameters: tool.parameters };
  }
}

/** A tool the platform provides itself (knowledge search), beside the ones the agent configures. */
export interface BuiltinTool {
  definition: ToolDefinition;
  run(args: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
}

class ToolFailure extends Error {}

/**
 * Runs the model's tool calls: parses and validates arguments, enforces a time limit, and turns
 * every failure into a tool error the model can read. It never throws.
 */
export class ToolRunner {
  readonly definitions: ToolDefinition[];
  readonly #tools = new Map<string, { config: ToolConfig; def: ToolDefinition }>();
  readonly #builtins = new Map<string, BuiltinTool>();
  readonly #ctx: ToolRunnerContext;

  constructor(tools: readonly ToolConfig[], ctx: ToolRunnerContext) {
    this.#ctx = ctx;
    this.definitions = tools.map((config) => {
      const def = toolDefinition(config);
      this.#tools.set(config.name, { config, def });
      return def;
    });
    for (const b of ctx.builtins ?? []) {
      // The agent document refuses a configured tool of the same name; the configured one wins.
      if (this.#tools.has(b.definition.name)) continue;
      this.#builtins.set(b.definition.name, b);
      this.definitions.push(b.definition);
    }
  }

  async run(call: ToolCall, signal: AbortSignal): Promise<ToolOutcome> {
    const started = this.#ctx.clock.now();
    let args: unknown = call.arguments;
    const done = (ok: boolean, result: unknown, effect?: ToolEffect): ToolOutcome => ({
      call,
      args,
      ok,
      result: ok ? result : { error: result },
      durationMs: this.#ctx.clock.now() - started,
      ...(effect ? { effect } : {}),
    });
    const tool = this.#tools.get(call.name);
    const builtin = this.#builtins.get(call.name);
    const def = tool?.def ?? builtin?.definition;
    if (!def) return done(false, `unknown tool ${call.name}`);
    try {
      args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch {
      return done(false, 'arguments are not valid JSON');
    }
    const check = checkArguments(def.parameters, args);
    if (!check.ok) return done(false, `invalid arguments: ${check.errors.join('; ')}`);
    try {
      const a = args as Record<string, unknown>;
      const { result, effect }: { result: unknown; effect?: ToolEffect } = tool
        ? await this.#withTimeout(tool.config, a, signal)
        : { result: await this.#limited(() => (builtin as BuiltinTool).run(a, signal)) };
      return done(true, result, effect);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.#ctx.logger.warn({ tool: call.name, err: message }, 'tool call failed');
      return done(false, message);
    }
  }

  async #withTimeout(
    config: ToolConfig,
    args: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<{ result: unknown; effect?: ToolEffect }> {
    if (config.type === 'http') return { result: await this.#http(config, args, signal) };
    return this.#limited(() => this.#builtin(config, args));
  }

  /** Runs a built-in tool within the default time limit. */
  async #limited<T>(work: () => Promise<T>): Promise<T> {
    const ms = this.#ctx.defaultTimeoutMs ?? 10_000;
    let cancel: (() => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      cancel = this.#ctx.clock.schedule(() => reject(new ToolFailure(`timed out after ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([work(), timeout]);
    } finally {
      cancel?.();
    }
  }

  async #builtin(
    config: ToolConfig,
    args: Record<string, unknown>,
  ): Promise<{ result: unknown; effect?: ToolEffect }> {
    switch (config.type) {
      case 'end_call':
        return { result: { ok: true }, effect: { kind: 'end-call' } };
      case 'transfer': {
        const label = typeof args.destination === 'string' ? args.destination : config.destinations[0]?.label;
        const dest = config.destinations.find((d) => d.label === label);
        if (!dest) throw new ToolFailure(`unknown destination ${String(label)}`);
        return {
          result: { transferring: dest.label },
          effect: {
            kind: 'transfer',
            target: dest.target,
            ...(config.message ? { message: config.message } : {}),
            mode: config.mode,
            hold: config.hold,
            timeoutMs: config.answerTimeoutSeconds * 1000,
          },
        };
      }
      case 'send_dtmf': {
        const digits = String(args.digits);
        if (this.#ctx.sendDtmf) await this.#ctx.sendDtmf(digits);
        return { result: { sent: digits } };
      }
      case 'recording': {
        if (!this.#ctx.recording) throw new ToolFailure('this conversation is not recorded');
        return { result: { recording: this.#ctx.recording(args.action === 'resume' ? 'resume' : 'pause') } };
      }
      case 'http':
        throw new ToolFailure('unreachable');
    }
  }

  async #http(
    config: Extract<ToolConfig, { type: 'http' }>,
    args: Record<string, unknown>,
    signal: AbortSignal,
  ) {
    const secret = config.signingCredentialId
      ? await this.#ctx.resolveSecret?.(config.signingCredentialId)
      : this.#ctx.signingSecret;
    return callHttpTool({
      tool: config,
      args,
      callId: this.#ctx.callId,
      clock: this.#ctx.clock,
      signal,
      ...(secret ? { secret } : {}),
      ...(this.#ctx.fetch ? { fetch: this.#ctx.fetch } : {}),
    });
  }
}

/** The text a tool outcome becomes in the model's history. */
export const toolResultText = (o: ToolOutcome): string => JSON.stringify(o.result ?? null);
