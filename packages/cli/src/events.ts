import type { CallEventBus, Config, Logger } from '@switchboard/core';
import {
  createCallRecorder,
  createMqttPublisher,
  createRecordingLinks,
  DeliveryWorker,
  type MqttPublisher,
  mqttDisabledState,
  OutboxWriter,
} from '@switchboard/events';
import type { SubsystemState } from '@switchboard/server';
import type { Store } from '@switchboard/store';

/**
 * Results delivery for the composition root: the recorder writes each call's story (and its
 * outbox rows, in the same transactions), the worker delivers them to webhooks and MQTT.
 */
export async function startEvents(opts: {
  config: Config;
  store: Store;
  bus: CallEventBus;
  logger: Logger;
  internalToken: string;
}): Promise<{ health: () => SubsystemState; stop(): Promise<void> }> {
  const { config, store, bus } = opts;
  const logger = opts.logger.child({ subsystem: 'events' });
  const outbox = OutboxWriter.withMqtt(!!config.MQTT_URL);
  const recorder = createCallRecorder({ store, bus, logger, outbox });
  const mqtt: MqttPublisher | undefined = config.MQTT_URL
    ? createMqttPublisher({ url: config.MQTT_URL, logger })
    : undefined;
  const worker = new DeliveryWorker({
    store,
    logger,
    links: createRecordingLinks({ publicUrl: config.publicUrl, internalToken: opts.internalToken }),
    ...(mqtt ? { mqtt } : {}),
  });
  await worker.start();
  return {
    health: () => (mqtt ? mqtt.state() : mqttDisabledState()),
    async stop() {
      await recorder.flush().catch(() => {});
      await recorder.stop();
      await worker.stop();
      await mqtt?.close();
    },
  };
}
