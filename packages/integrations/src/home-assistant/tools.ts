/**
 * The agent's Home Assistant tools: `home_list`, `home_get_state` and `home_call_service`, built
 * per call over the workspace's synced registry. Only entities the agent's allow-list names (by
 * domain or by id) exist for the model; a risky service (locks, alarms, covers by default) runs
 * only after the model has read the action back to the caller and called again with
 * `confirmed: true`. Each call is recorded as the call's `tool.called` event by the tool runner.
 */
import type { HomeConfig } from '@switchboard/core';
import type { BuiltinTool } from '@switchboard/engine';
import type { HaEntity, HomeRepo } from '@switchboard/store';
import type { HomeGateway } from './home-assistant.js';

export interface HomeToolsOptions {
  workspaceId: string;
  config: HomeConfig;
  repo: HomeRepo;
  gateway: HomeGateway;
}

/** Attributes worth saying aloud; the rest (icons, supported features…) only cost tokens. */
const SPOKEN_ATTRIBUTES = [
  'unit_of_measurement',
  'brightness',
  'current_position',
  'temperature',
  'current_temperature',
  'hvac_action',
  'device_class',
];

/** Words that do not pick out a thing: "the garage door" is "garage door". */
const FILLER = new Set(['the', 'a', 'an', 'my', 'our', 'please', 'in', 'of', 'on']);

/** Lower-case words without filler, plurals made singular ("Kitchen lights" → kitchen, light). */
const words = (s: string): string[] =>
  s
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w && !FILLER.has(w))
    .map((w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));

const allowedBy = (config: HomeConfig) => (entityId: string) =>
  config.entities.includes(entityId) || config.domains.includes(entityId.slice(0, entityId.indexOf('.')));

function spoken(e: HaEntity) {
  const attrs = e.attributes ?? {};
  return {
    entity_id: e.entityId,
    name: e.friendlyName,
    state: e.state ?? 'unknown',
    ...(e.lastChanged ? { last_changed: e.lastChanged.toISOString() } : {}),
    attributes: Object.fromEntries(SPOKEN_ATTRIBUTES.filter((k) => k in attrs).map((k) => [k, attrs[k]])),
  };
}

/** The three tools for one call, or none when the agent's home access is off. */
export function homeTools(o: HomeToolsOptions): BuiltinTool[] {
  const { config, repo, workspaceId } = o;
  if (!config.enabled || (config.domains.length === 0 && config.entities.length === 0)) return [];
  const allowed = allowedBy(config);
  const scope = { domains: config.domains, entityIds: config.entities };
  /** Risky actions read back to the caller, waiting for `confirmed: true`. */
  const awaiting = new Set<string>();

  /** The allowed entity an id or a spoken name means; throws a message the model can act on. */
  async function find(ref: string): Promise<HaEntity> {
    const text = ref.trim();
    if (/^[a-z0-9_]+\.[a-z0-9_]+$/.test(text)) {
      const e = allowed(text) ? await repo.entity(workspaceId, text) : null;
      if (!e) throw new Error(`no entity ${text} that this agent may use; call home_list to see them`);
      return e;
    }
    const wanted = words(text);
    const candidates = await repo.entities(workspaceId, { ...scope, limit: 1000 });
    const phrase = wanted.join(' ');
    const exact = candidates.filter((e) => words(e.friendlyName).join(' ') === phrase);
    if (exact.length === 1) return exact[0]!;
    const found = candidates.filter((e) => {
      const have = new Set([...words(e.friendlyName), ...words(e.entityId.replace(/[._]/g, ' '))]);
      return wanted.length > 0 && wanted.every((w) => have.has(w));
    });
    if (found.length === 1) return found[0]!;
    if (found.length === 0)
      throw new Error(`nothing called "${text}" that this agent may use; call home_list`);
    throw new Error(
      `"${text}" could mean ${found
        .slice(0, 6)
        .map((e) => `${e.friendlyName} (${e.entityId})`)
        .join(', ')}; ask which one`,
    );
  }

  const list: BuiltinTool = {
    definition: {
      name: 'home_list',
      description:
        "List the home's devices this assistant may use (lights, switches, doors, sensors…) with their " +
        'current state. Filter by domain (light, switch, cover, lock, sensor…) or by words in the name.',
      parameters: {
        type: 'object',
        properties: {
          domain: { type: 'string', maxLength: 64, description: 'Only this domain, e.g. light.' },
          search: { type: 'string', maxLength: 100, description: 'Words in the name, e.g. kitchen.' },
        },
      },
    },
    async run(args) {
      const domain = typeof args.domain === 'string' && args.domain ? args.domain : undefined;
      const search = typeof args.search === 'string' && args.search ? args.search : undefined;
      const rows = await repo.entities(workspaceId, { ...scope, ...(search ? { search } : {}), limit: 200 });
      const shown = rows.filter((e) => !e.disabledBy && (!domain || e.domain === domain)).slice(0, 50);
      return {
        entities: shown.map((e) => ({
          entity_id: e.entityId,
          name: e.friendlyName,
          state: e.state ?? 'unknown',
        })),
      };
    },
  };

  const getState: BuiltinTool = {
    definition: {
      name: 'home_get_state',
      description:
        'The current state of one thing in the home, e.g. whether the garage door is open or the kitchen ' +
        'light is on. Give its entity id (cover.garage_door) or its name (garage door).',
      parameters: {
        type: 'object',
        properties: {
          entity: { type: 'string', minLength: 1, maxLength: 200, description: 'Entity id or name.' },
        },
        required: ['entity'],
      },
    },
    async run(args) {
      return spoken(await find(String(args.entity)));
    },
  };

  const callService: BuiltinTool = {
    definition: {
      name: 'home_call_service',
      description:
        'Act on one thing in the home by calling a Home Assistant service, e.g. light turn_off, ' +
        'switch turn_on, cover open_cover, lock unlock. Risky actions (locks, alarms, doors and ' +
        'shutters) first answer needs_confirmation: read the action back to the caller, and only if ' +
        'they say yes call again with confirmed true.',
      parameters: {
        type: 'object',
        properties: {
          entity: { type: 'string', minLength: 1, maxLength: 200, description: 'Entity id or name.' },
          service: {
            type: 'string',
            pattern: '^[a-z0-9_]{1,64}$',
            description: "The service in the entity's domain: turn_on, turn_off, toggle, open_cover, lock…",
          },
          data: { type: 'object', description: 'Service data, e.g. {"brightness_pct": 40}.' },
          confirmed: {
            type: 'boolean',
            description: 'True only after the caller said yes to the read-back.',
          },
        },
        required: ['entity', 'service'],
      },
    },
    async run(args) {
      if (config.readOnly) throw new Error('this assistant may look at the home but not change anything');
      const entity = await find(String(args.entity));
      const service = String(args.service);
      const known = await repo.services(workspaceId, entity.domain);
      if (known.length > 0 && !known.some((s) => s.service === service)) {
        throw new Error(
          `${entity.domain} has no service ${service}; it has ${known.map((s) => s.service).join(', ')}`,
        );
      }
      const data =
        args.data && typeof args.data === 'object' && !Array.isArray(args.data)
          ? (args.data as Record<string, unknown>)
          : {};
      const action = `${entity.domain}.${service} ${entity.entityId} ${JSON.stringify(data)}`;
      if (config.confirmDomains.includes(entity.domain)) {
        if (args.confirmed !== true || !awaiting.has(action)) {
          awaiting.add(action);
          return {
            needs_confirmation: true,
            say: `Just to confirm: ${service.replace(/_/g, ' ')} the ${entity.friendlyName}?`,
            next_step:
              'If the caller says yes, call home_call_service again with the same arguments and confirmed true.',
          };
        }
        awaiting.delete(action);
      }
      await o.gateway.callService(workspaceId, entity.domain, service, data, { entity_id: entity.entityId });
      return {
        done: true,
        entity_id: entity.entityId,
        name: entity.friendlyName,
        service: `${entity.domain}.${service}`,
      };
    },
  };

  return [list, getState, callService];
}

/** The per-call factory the call runner takes: the home tools for each call's agent. */
export const homeToolsFor =
  (repo: HomeRepo, gateway: HomeGateway) =>
  (ctx: { workspaceId: string; config: { home: HomeConfig } }): BuiltinTool[] =>
    homeTools({ workspaceId: ctx.workspaceId, config: ctx.config.home, repo, gateway });
