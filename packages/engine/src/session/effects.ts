import type { ToolEffect } from '../tools/tool-runner.js';
import type { SessionCore } from './session-core.js';

export interface EffectContext {
  core: SessionCore;
  /** Speaks a last, uninterruptible line and resolves when it has played. */
  sayFinal: (text: string) => Promise<void>;
  /** The turn that asked for the effect already said something (its goodbye). */
  spoke: boolean;
}

/**
 * Carries out what a tool asked for once the turn's speech has finished playing: hang up after
 * the goodbye, or transfer after the hand-off message. A refused transfer is told to the caller and
 * the call goes on.
 */
export async function runEffect(effect: ToolEffect, ctx: EffectContext): Promise<void> {
  const { core } = ctx;
  if (effect.kind === 'end-call') {
    const goodbye = core.config.goodbyeMessage;
    if (!ctx.spoke && goodbye) await ctx.sayFinal(goodbye);
    core.end({ reason: 'agent-ended', hangup: true });
    return;
  }
  if (effect.message) await ctx.sayFinal(effect.message);
  if (effect.mode === 'warm') {
    try {
      // The outcome (bridged, or the caller taken back and told) is handled there.
      await core.warmTransfer({
        target: effect.target,
        hold: effect.hold,
        timeoutMs: effect.timeoutMs,
        by: 'tool',
      });
    } catch (e) {
      core.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'warm transfer failed');
      await ctx.sayFinal('Sorry, I could not transfer the call.');
    }
    return;
  }
  try {
    await core.leg.transfer(effect.target);
    core.transferred(effect.target, 'tool');
    core.end({ reason: 'transfer', hangup: false });
  } catch (e) {
    core.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'transfer failed');
    await ctx.sayFinal('Sorry, I could not transfer the call.');
  }
}
