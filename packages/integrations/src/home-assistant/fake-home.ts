/**
 * A small house that speaks Home Assistant's WebSocket API (`/api/websocket`) and REST API
 * (`/api/states`, `/api/services/<domain>/<service>`) as protocols.md §9.1 describes: the demo
 * workspace can attach it, and tests drive the client against it over a real socket. Service calls
 * change states the way Home Assistant would for lights, switches, covers and locks, and every
 * change reaches `state_changed` subscribers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

type Rec = Record<string, unknown>;

export interface FakeHomeState {
  entity_id: string;
  state: string;
  attributes: Rec;
  last_changed: string;
  last_updated: string;
  context: { id: string; parent_id: null; user_id: null };
}

export interface FakeHomeOptions {
  token?: string;
  devices?: Rec[];
  entities?: Rec[];
  states?: { entity_id: string; state: string; attributes?: Rec }[];
  services?: Record<string, Record<string, Rec>>;
  /** Answer registry list commands with `unauthorized` (a token without admin rights). */
  refuseRegistry?: boolean;
  port?: number;
}

export interface ServiceCallRecord {
  via: 'websocket' | 'rest';
  domain: string;
  service: string;
  data: Rec;
  target: Rec;
}

const HA_VERSION = '2025.1.0';

/** The demo house: a hub with a garage door, lights, a front-door lock and a thermometer. */
export function demoHouse(): Required<Pick<FakeHomeOptions, 'devices' | 'entities' | 'states' | 'services'>> {
  const device = (id: string, name: string, model: string, via?: string) => ({
    id,
    name,
    name_by_user: null,
    manufacturer: 'Acme Home',
    model,
    sw_version: '1.4.2',
    area_id: null,
    identifiers: [['acme', id]],
    connections: [],
    via_device_id: via ?? null,
    disabled_by: null,
    entry_type: null,
    config_entries: ['c0ffee'],
  });
  const entity = (entity_id: string, device_id: string, original_name: string | null) => ({
    entity_id,
    id: `reg-${entity_id}`,
    unique_id: `acme-${entity_id}`,
    platform: 'acme',
    device_id,
    area_id: null,
    name: null,
    original_name,
    icon: null,
    disabled_by: null,
    hidden_by: null,
    entity_category: null,
    has_entity_name: false,
    labels: [],
    config_entry_id: 'c0ffee',
  });
  const onOff = {
    turn_on: { name: 'Turn on', fields: {} },
    turn_off: { name: 'Turn off', fields: {} },
    toggle: { name: 'Toggle', fields: {} },
  };
  return {
    devices: [
      device('hub01', 'Home hub', 'Hub 2'),
      device('garage01', 'Garage door opener', 'GDO 3', 'hub01'),
      device('lights01', 'Kitchen light strip', 'LS 1', 'hub01'),
      device('lock01', 'Front door lock', 'Lock Pro', 'hub01'),
    ],
    entities: [
      entity('cover.garage_door', 'garage01', 'Garage door'),
      entity('light.kitchen', 'lights01', 'Kitchen lights'),
      entity('lock.front_door', 'lock01', 'Front door'),
      entity('sensor.living_room_temperature', 'hub01', null),
    ],
    states: [
      {
        entity_id: 'cover.garage_door',
        state: 'closed',
        attributes: { friendly_name: 'Garage door', device_class: 'garage', current_position: 0 },
      },
      {
        entity_id: 'light.kitchen',
        state: 'on',
        attributes: { friendly_name: 'Kitchen lights', brightness: 180 },
      },
      { entity_id: 'light.living_room', state: 'off', attributes: { friendly_name: 'Living room lamp' } },
      { entity_id: 'lock.front_door', state: 'locked', attributes: { friendly_name: 'Front door' } },
      {
        entity_id: 'sensor.living_room_temperature',
        state: '21.5',
        attributes: {
          friendly_name: 'Living room temperature',
          unit_of_measurement: '°C',
          device_class: 'temperature',
        },
      },
    ],
    services: {
      light: onOff,
      switch: onOff,
      cover: {
        open_cover: { name: 'Open', fields: {} },
        close_cover: { name: 'Close', fields: {} },
        stop_cover: { name: 'Stop', fields: {} },
      },
      lock: { lock: { name: 'Lock', fields: {} }, unlock: { name: 'Unlock', fields: {} } },
      homeassistant: { reload_all: { name: 'Reload all', fields: {} } },
    },
  };
}

/** What a service does to a state, as Home Assistant's integrations would. */
function nextState(domain: string, service: string, current: string): string | undefined {
  const table: Record<string, string> = {
    turn_on: 'on',
    turn_off: 'off',
    open_cover: 'open',
    close_cover: 'closed',
    lock: 'locked',
    unlock: 'unlocked',
  };
  if (service === 'toggle') return current === 'on' ? 'off' : 'on';
  if (['light', 'switch', 'fan', 'cover', 'lock', 'input_boolean'].includes(domain)) return table[service];
  return undefined;
}

export class FakeHome {
  readonly token: string;
  readonly serviceCalls: ServiceCallRecord[] = [];
  /** Commands received over WebSocket, by type, in order. */
  readonly commands: string[] = [];
  devices: Rec[];
  entities: Rec[];
  services: Record<string, Record<string, Rec>>;
  refuseRegistry: boolean;
  /** While true, commands are received but never answered (a peer that hangs). */
  silent = false;
  /** When set, the next connection is dropped after this many commands (a disconnect mid-sync). */
  dropAfterCommands: number | undefined;
  readonly #states = new Map<string, FakeHomeState>();
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #subs = new Map<WebSocket, number[]>();
  #connections = 0;

  private constructor(o: FakeHomeOptions, server: Server) {
    const house = demoHouse();
    this.token = o.token ?? 'fake-home-long-lived-token-0123456789';
    this.devices = o.devices ?? house.devices;
    this.entities = o.entities ?? house.entities;
    this.services = o.services ?? house.services;
    this.refuseRegistry = o.refuseRegistry ?? false;
    for (const s of o.states ?? house.states) this.#put(s.entity_id, s.state, s.attributes ?? {});
    this.#server = server;
    this.#wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/api/websocket') {
        socket.destroy();
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onSocket(ws));
    });
    server.on('request', (req, res) => void this.#onRequest(req, res));
  }

  static async start(o: FakeHomeOptions = {}): Promise<FakeHome> {
    const server = createServer();
    const home = new FakeHome(o, server);
    await new Promise<void>((r) => server.listen(o.port ?? 0, '127.0.0.1', r));
    return home;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** WebSocket connections accepted so far. */
  get connections(): number {
    return this.#connections;
  }

  state(entityId: string): FakeHomeState | undefined {
    return this.#states.get(entityId);
  }

  /** Changes a state as a device would, telling every subscriber. */
  setState(entityId: string, state: string, attributes?: Rec): void {
    const old = this.#states.get(entityId) ?? null;
    const next = this.#put(entityId, state, attributes ?? old?.attributes ?? {});
    for (const [ws, ids] of this.#subs) {
      for (const id of ids) {
        ws.send(
          JSON.stringify({
            id,
            type: 'event',
            event: {
              event_type: 'state_changed',
              data: { entity_id: entityId, old_state: old, new_state: next },
              origin: 'LOCAL',
              time_fired: next.last_updated,
              context: next.context,
            },
          }),
        );
      }
    }
  }

  /** Drops every WebSocket connection without a close handshake. */
  dropConnections(): void {
    for (const ws of this.#wss.clients) ws.terminate();
  }

  async close(): Promise<void> {
    this.dropConnections();
    this.#wss.close();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  #put(entityId: string, state: string, attributes: Rec): FakeHomeState {
    const now = new Date().toISOString();
    const s: FakeHomeState = {
      entity_id: entityId,
      state,
      attributes,
      last_changed: now,
      last_updated: now,
      context: { id: `ctx-${Math.random().toString(36).slice(2)}`, parent_id: null, user_id: null },
    };
    this.#states.set(entityId, s);
    return s;
  }

  #runService(via: 'websocket' | 'rest', domain: string, service: string, data: Rec, target: Rec): boolean {
    if (!this.services[domain]?.[service]) return false;
    this.serviceCalls.push({ via, domain, service, data, target });
    const ids = target.entity_id;
    for (const id of Array.isArray(ids) ? ids : ids ? [ids] : []) {
      const cur = this.#states.get(String(id));
      const next = cur ? nextState(domain, service, cur.state) : undefined;
      if (cur && next) this.setState(cur.entity_id, next);
    }
    return true;
  }

  #onSocket(ws: WebSocket): void {
    this.#connections++;
    let authed = false;
    let handled = 0;
    const drop = this.dropAfterCommands;
    this.dropAfterCommands = undefined;
    this.#subs.set(ws, []);
    ws.on('close', () => this.#subs.delete(ws));
    ws.send(JSON.stringify({ type: 'auth_required', ha_version: HA_VERSION }));
    ws.on('message', (raw) => {
      let msg: Rec & { id?: number; type?: string };
      try {
        msg = JSON.parse(String(raw));
      } catch {
        ws.close(1003);
        return;
      }
      if (!authed) {
        if (msg.type === 'auth' && msg.access_token === this.token) {
          authed = true;
          ws.send(JSON.stringify({ type: 'auth_ok', ha_version: HA_VERSION }));
        } else {
          ws.send(JSON.stringify({ type: 'auth_invalid', message: 'Invalid access token or password' }));
          ws.close();
        }
        return;
      }
      const id = msg.id;
      const type = String(msg.type);
      this.commands.push(type);
      if (drop !== undefined && ++handled > drop) {
        ws.terminate();
        return;
      }
      if (this.silent) return;
      const ok = (result: unknown) => ws.send(JSON.stringify({ id, type: 'result', success: true, result }));
      const err = (code: string, message: string) =>
        ws.send(JSON.stringify({ id, type: 'result', success: false, error: { code, message } }));
      switch (type) {
        case 'ping':
          ws.send(JSON.stringify({ id, type: 'pong' }));
          return;
        case 'get_states':
          return ok([...this.#states.values()]);
        case 'get_services':
          return ok(this.services);
        case 'get_config':
          return ok({ location_name: 'Fake home', time_zone: 'UTC', version: HA_VERSION, components: [] });
        case 'config/device_registry/list':
          return this.refuseRegistry ? err('unauthorized', 'Unauthorized') : ok(this.devices);
        case 'config/entity_registry/list':
          return this.refuseRegistry ? err('unauthorized', 'Unauthorized') : ok(this.entities);
        case 'subscribe_events':
          this.#subs.get(ws)?.push(id as number);
          return ok(null);
        case 'call_service': {
          const domain = String(msg.domain);
          const service = String(msg.service);
          const done = this.#runService(
            'websocket',
            domain,
            service,
            (msg.service_data as Rec) ?? {},
            (msg.target as Rec) ?? {},
          );
          return done
            ? ok({ context: { id: 'ctx', parent_id: null, user_id: null }, response: null })
            : err('not_found', `Service ${domain}.${service} not found.`);
        }
        default:
          return err('unknown_command', `Unknown command ${type}.`);
      }
    });
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return send(401, { message: '401: Unauthorized' });
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let body = '';
    for await (const c of req) body += String(c);
    if (req.method === 'GET' && path === '/api/') return send(200, { message: 'API running.' });
    if (req.method === 'GET' && path === '/api/states') return send(200, [...this.#states.values()]);
    const one = /^\/api\/states\/([a-z0-9_]+\.[a-z0-9_]+)$/.exec(path);
    if (req.method === 'GET' && one) {
      const s = this.#states.get(one[1]!);
      return s ? send(200, s) : send(404, { message: 'Entity not found.' });
    }
    const svc = /^\/api\/services\/([a-z0-9_]+)\/([a-z0-9_]+)$/.exec(path);
    if (req.method === 'POST' && svc) {
      let data: Rec = {};
      try {
        data = body ? (JSON.parse(body) as Rec) : {};
      } catch {
        return send(400, { message: 'Invalid JSON specified.' });
      }
      const { entity_id, ...rest } = data;
      const before = new Set(this.#states.values());
      const done = this.#runService('rest', svc[1]!, svc[2]!, rest, entity_id ? { entity_id } : {});
      if (!done) return send(400, { message: `Service ${svc[1]}.${svc[2]} not found.` });
      return send(
        200,
        [...this.#states.values()].filter((s) => !before.has(s)),
      );
    }
    send(404, { message: 'Not found' });
  }
}
