import type { Logger } from '@switchboard/core';
import mqtt, { type MqttClient } from 'mqtt';
import type { SendResult } from './senders.js';

export type MqttState = { name: 'mqtt'; state: 'up' | 'down' | 'disabled'; detail?: string };

export interface MqttPublisher {
  /**
   * QoS 1: resolves when the broker acknowledged (PUBACK). Fails fast while disconnected. `retain`
   * keeps the message for later subscribers (Home Assistant discovery configs and states).
   */
  publish(topic: string, body: string, options?: { retain?: boolean }): Promise<SendResult>;
  /** For /health/ready. */
  state(): MqttState;
  close(): Promise<void>;
}

export interface MqttPublisherOptions {
  url: string;
  logger: Logger;
  clientId?: string;
  /** Reconnect backoff: doubles from `minReconnectMs` up to `maxReconnectMs`. */
  minReconnectMs?: number;
  maxReconnectMs?: number;
  publishTimeoutMs?: number;
}

/** The /health/ready entry when MQTT_URL is not set: healthy, and said once. */
export const mqttDisabledState = (): MqttState => ({
  name: 'mqtt',
  state: 'disabled',
  detail: 'MQTT_URL not set; events go to webhooks only',
});

/**
 * Publishes outbox events to `switchboard/<workspace>/calls/<event>`. The outbox is the queue:
 * while the broker is unreachable publishes fail at once and the delivery is retried with the
 * outbox's backoff, so nothing waits in this process's memory and a restart loses nothing.
 */
export function createMqttPublisher(options: MqttPublisherOptions): MqttPublisher {
  const { logger } = options;
  const minMs = options.minReconnectMs ?? 1000;
  const maxMs = options.maxReconnectMs ?? 30_000;
  const timeoutMs = options.publishTimeoutMs ?? 10_000;
  let lastError: string | undefined;
  let wasUp = false;
  const client: MqttClient = mqtt.connect(options.url, {
    clientId: options.clientId ?? `switchboard-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: minMs,
    connectTimeout: 10_000,
    // Nothing is queued in memory while offline: the outbox retries instead.
    queueQoSZero: false,
  });
  client.on('connect', () => {
    client.options.reconnectPeriod = minMs;
    lastError = undefined;
    wasUp = true;
    logger.info('MQTT connected');
  });
  client.on('close', () => {
    // Back off between reconnects; mqtt.js reads the period before each attempt.
    client.options.reconnectPeriod = Math.min(
      maxMs,
      Math.max(minMs, (client.options.reconnectPeriod ?? minMs) * 2),
    );
    if (wasUp)
      logger.warn({ retryInMs: client.options.reconnectPeriod }, 'MQTT connection lost; reconnecting');
    wasUp = false;
  });
  client.on('error', (err) => {
    // Broker URLs may carry credentials, so only the reason is kept.
    lastError = err.message;
    logger.warn({ err: { message: err.message } }, 'MQTT error');
  });

  return {
    async publish(topic, body, publishOptions) {
      if (!client.connected) {
        return {
          ok: false,
          status: null,
          error: `MQTT not connected${lastError ? `: ${lastError}` : ''}`,
          permanent: false,
        };
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.publishAsync(topic, body, { qos: 1, retain: publishOptions?.retain ?? false }),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no PUBACK within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return { ok: true, status: null };
      } catch (e) {
        return { ok: false, status: null, error: (e as Error).message, permanent: false };
      } finally {
        clearTimeout(timer);
      }
    },
    state() {
      if (client.connected) return { name: 'mqtt', state: 'up' };
      return { name: 'mqtt', state: 'down', detail: lastError ?? 'connecting' };
    },
    async close() {
      await client.endAsync(true).catch(() => {});
    },
  };
}
