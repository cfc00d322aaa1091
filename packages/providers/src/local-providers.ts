import { ProviderError } from '@switchboard/engine';
import { AnswererLlm } from './local-answerer/answerer-llm.js';
import { EspeakTts } from './local-espeak/espeak-tts.js';
import { FliteTts } from './local-flite/flite-tts.js';
import { PocketsphinxAsr } from './local-pocketsphinx/pocketsphinx-asr.js';
import { SoundSwallowerAsr } from './local-soundswallower/soundswallower-asr.js';
import type { ModelLocator } from './models/locator.js';
import { ProviderRegistry } from './registry.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/**
 * Registers the offline, key-free providers (`local:<type>` references) on `registry`. Their
 * models load through `models` (the models directory, then the packaged copies); by default from
 * the packaged copies only.
 */
export function registerLocalProviders(
  registry: ProviderRegistry = new ProviderRegistry(),
  models?: ModelLocator,
): ProviderRegistry {
  const m = models ? { models } : {};
  return registry
    .register(
      'tts',
      'espeak',
      ({ settings, ctx, base }) =>
        new EspeakTts({
          ...base,
          voice: str(settings.voice) ?? 'en-us',
          language: ctx.language,
          logger: ctx.logger,
          ...m,
          ...(ctx.voice ? { agentVoice: ctx.voice } : {}),
        }),
    )
    .register(
      'tts',
      'flite',
      ({ settings, ctx, base }) =>
        new FliteTts({
          ...base,
          logger: ctx.logger,
          ...(str(settings.voice) ? { voice: str(settings.voice) } : {}),
          ...(ctx.voice ? { agentVoice: ctx.voice } : {}),
        }),
    )
    .register(
      'asr',
      'soundswallower',
      ({ ctx, base }) => new SoundSwallowerAsr({ ...base, logger: ctx.logger, ...m }),
    )
    .register(
      'asr',
      'pocketsphinx',
      ({ ctx, base }) => new PocketsphinxAsr({ ...base, logger: ctx.logger, ...m }),
    )
    .register('llm', 'answerer', async ({ ref, ctx, base, agentConfig }) => {
      const config = await agentConfig();
      if (!config) {
        throw new ProviderError(
          'bad_request',
          `${ref} answers from the agent's knowledge, but the agent document of ${ctx.agentId} is not available`,
          { provider: ref },
        );
      }
      return new AnswererLlm({ ...base, ...AnswererLlm.optionsFrom(config), logger: ctx.logger });
    });
}
