import type { HaConnectionStatus, haDevices, haEntities, haServices } from '../schema.js';

/**
 * The shapes the Home Assistant repository takes and gives, and the rules it applies to records
 * (names, domains, hubs before devices), apart from the queries.
 */

/** A device registry record, already read into these fields (see @switchboard/integrations). */
export interface HaDeviceInput {
  id: string;
  friendlyName: string;
  name: string | null;
  nameByUser: string | null;
  manufacturer: string | null;
  model: string | null;
  swVersion: string | null;
  areaId: string | null;
  viaDeviceId: string | null;
  disabledBy: string | null;
  raw: Record<string, unknown>;
}

export interface HaEntityInput {
  entityId: string;
  registryId: string | null;
  uniqueId: string | null;
  platform: string | null;
  deviceId: string | null;
  areaId: string | null;
  name: string | null;
  originalName: string | null;
  /** The name the registry gives (`name`, else `original_name`); null to keep what the state says. */
  registryName: string | null;
  disabledBy: string | null;
  hiddenBy: string | null;
  entityCategory: string | null;
  registry: Record<string, unknown>;
}

export interface HaStateInput {
  entityId: string;
  state: string | null;
  attributes: Record<string, unknown>;
  lastChanged: Date;
}

export interface HaServiceInput {
  domain: string;
  service: string;
  name: string | null;
  description: string | null;
  fields: Record<string, unknown>;
  target: Record<string, unknown> | null;
}

/** What may leave the store about a connection: never the token or its ciphertext. */
export interface HaConnectionView {
  workspaceId: string;
  url: string;
  /** `••••abcd`, or `••••` for short tokens. */
  maskedToken: string;
  historyRetentionDays: number;
  status: HaConnectionStatus;
  lastError: string | null;
  haVersion: string | null;
  lastSyncedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type HaEntity = typeof haEntities.$inferSelect;
export type HaDevice = typeof haDevices.$inferSelect;
export type HaService = typeof haServices.$inferSelect;

/** Home Assistant's domain of an entity id: `light` for `light.kitchen`. */
export const entityDomain = (entityId: string): string =>
  entityId.slice(0, Math.max(0, entityId.indexOf('.')));

/** `light.kitchen_ceiling` → `Kitchen ceiling`: the name of an entity nobody named. */
export function derivedEntityName(entityId: string): string {
  const object = entityId
    .slice(entityId.indexOf('.') + 1)
    .replace(/_+/g, ' ')
    .trim();
  return object ? object.charAt(0).toUpperCase() + object.slice(1) : entityId;
}

/**
 * Orders devices so every hub comes before the devices that talk through it. A cycle (which Home
 * Assistant should never send) is broken by taking the rest in the order given.
 */
export function parentsFirst(devices: readonly HaDeviceInput[]): HaDeviceInput[] {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const out: HaDeviceInput[] = [];
  const placed = new Set<string>();
  for (const d of devices) {
    // Walk up to the first hub not placed yet (iteratively: chains can be long), then place down.
    const chain: HaDeviceInput[] = [];
    const seen = new Set<string>();
    for (let cur: HaDeviceInput | undefined = d; cur && !placed.has(cur.id) && !seen.has(cur.id); ) {
      seen.add(cur.id);
      chain.push(cur);
      cur = cur.viaDeviceId ? byId.get(cur.viaDeviceId) : undefined;
    }
    for (const c of chain.reverse()) {
      placed.add(c.id);
      out.push(c);
    }
  }
  return out;
}
