import type { NeededModel } from './catalogue.js';
import type { LocatedModel, ModelLocator } from './locator.js';

export interface ModelReadiness {
  id: string;
  neededBy: string[];
  /** Where it loads from; undefined when it is missing. */
  located?: LocatedModel;
  /** For a missing model: what is missing and how to bring it. */
  problem?: string;
}

/** Where each needed model loads from, or why it cannot (stat checks only; cheap). */
export async function modelReadiness(
  locator: ModelLocator,
  needed: readonly NeededModel[],
): Promise<ModelReadiness[]> {
  return Promise.all(
    needed.map(async ({ spec, neededBy }) => {
      const located = await locator.locate(spec.id);
      return located
        ? { id: spec.id, neededBy, located }
        : { id: spec.id, neededBy, problem: locator.missingText(spec.id) };
    }),
  );
}

/** "missing models: asr/… (needed by Demo receptionist)", or undefined when none is missing. */
export function missingModelsSummary(r: readonly ModelReadiness[]): string | undefined {
  const missing = r.filter((m) => !m.located);
  if (missing.length === 0) return undefined;
  return `missing models: ${missing.map((m) => `${m.id} (needed by ${m.neededBy.join(', ')})`).join('; ')}`;
}
