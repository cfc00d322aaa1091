/**
 * Home Assistant MQTT discovery for live calls: while a call runs, a sensor for it appears in Home
 * Assistant under one "Switchboard" device per workspace, its state following the call
 * (`started` → `ringing` → `answered` → `ended`) with the last tool the agent used as an
 * attribute. When the call ends its final state is published and the sensor is removed (an empty
 * retained config, as Home Assistant's discovery expects). Configs and states are retained so a
 * Home Assistant that restarts mid-call still sees the call.
 *
 * This is live status, not results delivery: it follows this process's calls on the event bus and
 * a publish that fails is logged and dropped (the outbox carries the durable call events).
 */
import type { CallEvent, CallEventBus, Logger } from '@switchboard/core';
import type { MqttPublisher } from './mqtt-publisher.js';

export interface HaDiscoveryOptions {
  bus: CallEventBus;
  mqtt: Pick<MqttPublisher, 'publish'>;
  logger: Logger;
  /** Home Assistant's discovery prefix (`homeassistant` unless changed in its MQTT settings). */
  prefix?: string;
}

const compact = (id: string) => id.replace(/-/g, '');
export const discoveryNode = (workspaceId: string) => `switchboard_${compact(workspaceId)}`;
export const discoveryObject = (callId: string) => `call_${compact(callId)}`;

/** The topics of one call's sensor. */
export function discoveryTopics(prefix: string, workspaceId: string, callId: string) {
  const base = `switchboard/${workspaceId}/calls/${callId}`;
  return {
    config: `${prefix}/sensor/${discoveryNode(workspaceId)}/${discoveryObject(callId)}/config`,
    state: `${base}/state`,
    attributes: `${base}/attributes`,
  };
}

export class HaDiscovery {
  readonly #o: HaDiscoveryOptions;
  readonly #prefix: string;
  readonly #calls = new Map<string, { attributes: Record<string, unknown>; chain: Promise<void> }>();
  #unsubscribe: (() => void) | undefined;

  constructor(o: HaDiscoveryOptions) {
    this.#o = o;
    this.#prefix = o.prefix ?? 'homeassistant';
  }

  start(): void {
    this.#unsubscribe = this.#o.bus.subscribe(
      (e) => this.#on(e),
      ['call.started', 'call.ringing', 'call.answered', 'tool.called', 'call.ended'],
    );
  }

  /** Waits for what was already queued to be published (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#calls.values()].map((c) => c.chain));
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.flush();
  }

  #on(e: CallEvent): void {
    let call = this.#calls.get(e.callId);
    if (!call) {
      if (e.type !== 'call.started') return;
      call = { attributes: {}, chain: Promise.resolve() };
      this.#calls.set(e.callId, call);
    }
    const topics = discoveryTopics(this.#prefix, e.workspaceId, e.callId);
    const messages: [string, string][] = [];
    switch (e.type) {
      case 'call.started':
        call.attributes = {
          call_id: e.callId,
          direction: e.data.direction,
          agent_id: e.data.agentId,
          agent_version: e.data.agentVersion,
          started_at: new Date(e.at).toISOString(),
        };
        messages.push([topics.config, JSON.stringify(this.#config(e.workspaceId, e.callId, topics))]);
        messages.push([topics.attributes, JSON.stringify(call.attributes)]);
        messages.push([topics.state, 'started']);
        break;
      case 'call.ringing':
        messages.push([topics.state, 'ringing']);
        break;
      case 'call.answered':
        messages.push([topics.state, 'answered']);
        break;
      case 'tool.called':
        call.attributes = { ...call.attributes, last_tool: e.data.name, last_tool_ok: e.data.ok };
        messages.push([topics.attributes, JSON.stringify(call.attributes)]);
        break;
      case 'call.ended':
        call.attributes = {
          ...call.attributes,
          outcome: e.data.outcome,
          ended_reason: e.data.endedReason,
          duration_seconds: Math.round(e.data.durationMs / 1000),
        };
        messages.push([topics.attributes, JSON.stringify(call.attributes)]);
        messages.push([topics.state, 'ended']);
        // An empty retained config removes the sensor; empty retained state and attributes clear the broker.
        messages.push([topics.config, ''], [topics.state, ''], [topics.attributes, '']);
        break;
      default:
        return;
    }
    const ended = e.type === 'call.ended';
    const current = call;
    current.chain = current.chain.then(async () => {
      for (const [topic, body] of messages) {
        const r = await this.#o.mqtt.publish(topic, body, { retain: true });
        if (!r.ok) this.#o.logger.warn({ topic, err: r.error }, 'MQTT discovery publish failed');
      }
      if (ended) this.#calls.delete(e.callId);
    });
  }

  #config(workspaceId: string, callId: string, topics: ReturnType<typeof discoveryTopics>) {
    return {
      name: `Call ${callId.slice(0, 8)}`,
      unique_id: `switchboard_${compact(callId)}`,
      object_id: `switchboard_call_${compact(callId).slice(0, 12)}`,
      state_topic: topics.state,
      json_attributes_topic: topics.attributes,
      icon: 'mdi:phone-in-talk',
      device: {
        identifiers: [discoveryNode(workspaceId)],
        name: 'Switchboard',
        manufacturer: 'Switchboard',
        model: 'AI phone agents',
      },
    };
  }
}
