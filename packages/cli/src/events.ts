import type { CallEventBus, Config, Logger, OutboundGuard } from '@switchboard/core';
import { analyzeCall, type ProviderFactory } from '@switchboard/engine';
import {
  AnalysisWorker,
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
 * outbox rows, in the same transactions), the delivery worker sends them to webhooks and MQTT,
 * and the analysis worker runs post-call analysis on the agent's LLM.
 */
export async function startEvents(opts: {
  config: Config;
  store: Store;
  bus: CallEventBus;
  /** The providers calls use; post-call analysis runs on the agent's LLM through them. */
  providers: ProviderFactory;
  logger: Logger;
  internalToken: string;
  /** Webhook and agent webhookUrl deliveries go through it. */
  outbound: OutboundGuard;
}): Promise<{
  health: () => SubsystemState;
  /** This process's delivery and analysis tallies, for metrics. */
  stats: { deliveries: () => Record<string, number>; analyses: () => Record<string, number> };
  stop(): Promise<void>;
}> {
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
    outbound: opts.outbound,
    links: createRecordingLinks({ publicUrl: config.publicUrl, internalToken: opts.internalToken }),
    ...(mqtt ? { mqtt } : {}),
  });
  const analyst = new AnalysisWorker({
    store,
    logger,
    outbox,
    analyze: (job, signal) =>
      analyzeCall({
        providers: opts.providers,
        config: job.config,
        transcript: job.transcript,
        ctx: {
          callId: job.callId,
          workspaceId: job.workspaceId,
          agentId: job.agentId,
          language: job.config.language,
          logger: logger.child({ callId: job.callId, task: 'analysis' }),
        },
        signal,
      }),
  });
  await worker.start();
  await analyst.start();
  return {
    health: () => (mqtt ? mqtt.state() : mqttDisabledState()),
    stats: { deliveries: () => worker.stats, analyses: () => analyst.stats },
    async stop() {
      await recorder.flush().catch(() => {});
      await recorder.stop();
      await analyst.stop();
      await worker.stop();
      await mqtt?.close();
    },
  };
}
