/**
 * Home Assistant's registry records read into store rows. The registries' schemas keep changing
 * (protocols.md §9.1), so every field is read optionally and the whole record is kept as sent.
 * A record without its id is refused with the index and field named; everything else is lenient.
 */
import type { HaDeviceInput, HaEntityInput, HaServiceInput, HaStateInput } from '@switchboard/store';

type Rec = Record<string, unknown>;

/** A record that cannot be stored, with where it is and what is wrong. */
export class RecordError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'RecordError';
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const ENTITY_ID = /^[a-z0-9_]+\.[a-z0-9_]+$/;

function records(body: unknown, what: string): Rec[] {
  if (!Array.isArray(body)) throw new RecordError('body', `expected an array of ${what} registry records`);
  return body.map((r, i) => {
    if (!isRec(r)) throw new RecordError(`[${i}]`, 'expected an object');
    return r;
  });
}

export function deviceFrom(r: Rec, path = 'device'): HaDeviceInput {
  const id = str(r.id);
  if (!id) throw new RecordError(`${path}.id`, 'a device needs its registry id');
  const name = str(r.name);
  const nameByUser = str(r.name_by_user);
  const manufacturer = str(r.manufacturer);
  const model = str(r.model);
  const friendlyName =
    nameByUser ?? name ?? ([manufacturer, model].filter(Boolean).join(' ') || `Device ${id.slice(0, 8)}`);
  return {
    id,
    friendlyName,
    name,
    nameByUser,
    manufacturer,
    model,
    swVersion: str(r.sw_version),
    areaId: str(r.area_id),
    viaDeviceId: str(r.via_device_id),
    disabledBy: str(r.disabled_by),
    raw: r,
  };
}

export function entityFrom(r: Rec, path = 'entity'): HaEntityInput {
  const entityId = str(r.entity_id);
  if (!entityId) throw new RecordError(`${path}.entity_id`, 'an entity needs its entity_id');
  if (!ENTITY_ID.test(entityId)) {
    throw new RecordError(
      `${path}.entity_id`,
      `${JSON.stringify(entityId)} is not an entity id like light.kitchen`,
    );
  }
  const name = str(r.name);
  const originalName = str(r.original_name);
  return {
    entityId,
    registryId: str(r.id),
    uniqueId: str(r.unique_id),
    platform: str(r.platform),
    deviceId: str(r.device_id),
    areaId: str(r.area_id),
    name,
    originalName,
    registryName: name ?? originalName,
    disabledBy: str(r.disabled_by),
    hiddenBy: str(r.hidden_by),
    entityCategory: str(r.entity_category),
    registry: r,
  };
}

export function stateFrom(r: Rec, path = 'state'): HaStateInput {
  const entityId = str(r.entity_id);
  if (!entityId || !ENTITY_ID.test(entityId)) {
    throw new RecordError(`${path}.entity_id`, 'a state needs an entity_id like light.kitchen');
  }
  const changed = str(r.last_changed) ?? str(r.last_updated);
  const at = changed ? new Date(changed) : new Date();
  return {
    entityId,
    state: typeof r.state === 'string' ? r.state : null,
    attributes: isRec(r.attributes) ? r.attributes : {},
    lastChanged: Number.isNaN(at.getTime()) ? new Date() : at,
  };
}

/**
 * Reads every record; a bad one throws, unless `skip` is given: then it is reported there and left
 * out (what Home Assistant itself sends is taken as far as it can be).
 */
function readAll<T>(
  body: unknown,
  what: string,
  read: (r: Rec, path: string) => T,
  skip?: (e: RecordError) => void,
): T[] {
  if (!skip) return records(body, what).map((r, i) => read(r, `[${i}]`));
  if (!Array.isArray(body)) throw new RecordError('body', `expected an array of ${what} records`);
  const out: T[] = [];
  body.forEach((r, i) => {
    try {
      if (!isRec(r)) throw new RecordError(`[${i}]`, 'expected an object');
      out.push(read(r, `[${i}]`));
    } catch (e) {
      if (e instanceof RecordError) skip(e);
      else throw e;
    }
  });
  return out;
}

export const devicesFrom = (body: unknown, skip?: (e: RecordError) => void): HaDeviceInput[] =>
  readAll(body, 'device', deviceFrom, skip);

export const entitiesFrom = (body: unknown, skip?: (e: RecordError) => void): HaEntityInput[] =>
  readAll(body, 'entity', entityFrom, skip);

export const statesFrom = (body: unknown, skip?: (e: RecordError) => void): HaStateInput[] =>
  readAll(body, 'state', stateFrom, skip);

/** `get_services`'s shape, `{domain: {service: {name, description, fields, target}}}`. */
export function servicesFrom(body: unknown): HaServiceInput[] {
  if (!isRec(body))
    throw new RecordError('body', 'expected an object of domains, each an object of services');
  const out: HaServiceInput[] = [];
  for (const [domain, services] of Object.entries(body)) {
    if (!/^[a-z0-9_]+$/.test(domain))
      throw new RecordError(domain, 'a domain is lower-case letters, digits and _');
    if (!isRec(services)) throw new RecordError(domain, 'expected an object of services');
    for (const [service, def] of Object.entries(services)) {
      if (!/^[a-z0-9_]+$/.test(service)) {
        throw new RecordError(`${domain}.${service}`, 'a service name is lower-case letters, digits and _');
      }
      const d = isRec(def) ? def : {};
      out.push({
        domain,
        service,
        name: str(d.name),
        description: str(d.description),
        fields: isRec(d.fields) ? d.fields : {},
        target: isRec(d.target) ? d.target : null,
      });
    }
  }
  return out;
}
