import type { CallEventBus, Config, Logger, OutboundGuard } from '@switchboard/core';
import { analyzeCall, type ProviderFactory } from '@switchboard/engine';
import {
  AnalysisWorker,
  createCallRecorder,
  createMqttPublisher,
  createRecordingLinks,
  DeliveryWorker,
  HaDiscovery,
  LostCallSweeper,
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
  /** This process's instance id: the owner written on the calls it runs. */
  instanceId: string;
  /** Webhook and agent webhookUrl deliveries go through it. */
  outbound: OutboundGuard;
}): Promise<{
  health: () => SubsystemState;
  /** This process's delivery and analysis tallies, for metrics. */
  stats: {
    deliveries: () => Record<string, number>;
    analyses: () => Record<string, number>;
    lostCalls: () => number;
  };
  /** Writes what is queued, tries to deliver it for up to `deliverForMs`, then stops. */
  stop(deliverForMs?: number): Promise<void>;
}> {
  const { config, store, bus } = opts;
  const logger = opts.logger.child({ subsystem: 'events' });
  const outbox = OutboxWriter.withMqtt(!!config.MQTT_URL);
  const recorder = createCallRecorder({ store, bus, logger, outbox, instanceId: opts.instanceId });
  const mqtt: MqttPublisher | undefined = config.MQTT_URL
    ? createMqttPublisher({ url: config.MQTT_URL, logger })
    : undefined;
  const discovery =
    mqtt && config.MQTT_HA_DISCOVERY
      ? new HaDiscovery({ bus, mqtt, logger, prefix: config.MQTT_HA_DISCOVERY_PREFIX })
      : undefined;
  discovery?.start();
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
  const sweeper = new LostCallSweeper({
    store,
    outbox,
    logger,
    self: opts.instanceId,
    timeoutMs: config.CALL_LEASE_TIMEOUT_MS,
  });
  // At start, calls left live by a process that died end at once. An embedded database serves one
  // process only (the data directory is locked), so there every call still owned is lost; on
  // PostgreSQL other processes may be running theirs, so only stale heartbeats count.
  await sweeper.sweep(store.database.kind === 'pglite' ? 0 : config.CALL_LEASE_TIMEOUT_MS);
  sweeper.start();
  await worker.start();
  await analyst.start();
  return {
    health: () => (mqtt ? mqtt.state() : mqttDisabledState()),
    stats: {
      deliveries: () => worker.stats,
      analyses: () => analyst.stats,
      lostCalls: () => sweeper.swept,
    },
    async stop(deliverForMs = 0) {
      await sweeper.stop();
      await recorder.flush().catch(() => {});
      await recorder.stop();
      // The last calls' webhooks (ended at shutdown) go out now rather than at the next start.
      if (deliverForMs > 0)
        await withinMs(
          worker.tick().catch(() => 0),
          deliverForMs,
        );
      await analyst.stop();
      await worker.stop();
      await discovery?.stop();
      await mqtt?.close();
    },
  };
}

/** Waits for `work` at most `ms`. */
async function withinMs(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
