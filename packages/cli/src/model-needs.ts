import { agentConfigSchema } from '@switchboard/core';
import { agentModelUses, type ModelUse, modelsNeeded, type NeededModel } from '@switchboard/providers';
import type { Store } from '@switchboard/store';
import { UNAVAILABLE_TTS } from './runtime.js';

/** Who needs the models of the default providers, in `models list` and readiness. */
export const DEFAULT_PROVIDERS = 'new agents (default providers)';
export const UNAVAILABLE_LINE = 'the unavailable line';

/**
 * The local models this installation needs: those of every agent's providers (published version
 * and draft), of the default providers a new agent gets (the demo receptionist's), and of the
 * voice that says a line is unavailable. Without a store, the last two only.
 */
export async function neededModels(store?: Store): Promise<NeededModel[]> {
  const uses: { use: ModelUse; by: string }[] = [];
  for (const use of await agentModelUses(agentConfigSchema.parse({})))
    uses.push({ use, by: DEFAULT_PROVIDERS });
  uses.push({ use: `tts:${UNAVAILABLE_TTS.replace(/^local:/, '')}`, by: UNAVAILABLE_LINE });
  if (store) {
    for (const agent of await store.agents.providerChoices()) {
      const typeOf = (ref: string) =>
        store.providers.get(agent.workspaceId, ref).then(
          (p) => p.type,
          () => undefined,
        );
      for (const config of agent.configs) {
        for (const use of await agentModelUses(config, typeOf)) uses.push({ use, by: agent.name });
      }
    }
  }
  return modelsNeeded(uses);
}
