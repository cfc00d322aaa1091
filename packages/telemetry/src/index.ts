import { type Attributes, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { CallEvent, CallEventBus, CallEventOf, TurnLatency } from '@switchboard/core';

/**
 * OpenTelemetry for calls, built from the call event stream (the same one the store, webhooks,
 * MQTT and /metrics read), so every connector and provider is traced the same way and the per-frame
 * audio path carries no tracing code. Per call: a `call` span; a `turn` span per agent reply with
 * its phases (`asr`, `llm`, `tts`) as children, timed from the turn's marks; a `tool` span per
 * tool call; transcript lines, barge-ins, keypad digits and recording pauses as span events
 * (without their text or digits, which are personal data). Metrics: calls by outcome, call
 * length, response time and tool time. Exported over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT;
 * the SDK reads the other standard OTEL_* variables (headers, timeouts) itself.
 *
 * The composition root imports this package only when that variable is set, so without it no
 * OpenTelemetry code is loaded.
 */
export interface TelemetryOptions {
  bus: CallEventBus;
  /** service.name; OTEL_SERVICE_NAME overrides it, as the SDK specifies. */
  serviceName?: string;
  /** service.instance.id: this process. */
  instanceId: string;
  version?: string;
  /** How often metrics are exported (OTEL_METRIC_EXPORT_INTERVAL otherwise, then 60 s). */
  metricIntervalMs?: number;
}

export interface Telemetry {
  /** Exports what is pending (spans of calls still open are ended as `shutdown`) and stops. */
  stop(): Promise<void>;
}

interface OpenCall {
  span: Span;
  startedAt: number;
  attributes: Attributes;
}

type TurnPhase = [name: string, from: keyof TurnLatency, to: keyof TurnLatency];
const TURN_PHASES: TurnPhase[] = [
  ['asr', 'callerStoppedMs', 'asrFinalMs'],
  ['llm', 'asrFinalMs', 'llmFirstTokenMs'],
  ['tts', 'llmFirstTokenMs', 'ttsFirstAudioMs'],
  ['send', 'ttsFirstAudioMs', 'firstAudioSentMs'],
];
const TURN_MARKS: (keyof TurnLatency)[] = [
  'callerStoppedMs',
  'asrFinalMs',
  'llmFirstTokenMs',
  'ttsFirstAudioMs',
  'firstAudioSentMs',
];

export function startTelemetry(o: TelemetryOptions): Telemetry {
  const resource = resourceFromAttributes({
    'service.name': process.env.OTEL_SERVICE_NAME || o.serviceName || 'switchboard',
    'service.instance.id': o.instanceId,
    ...(o.version ? { 'service.version': o.version } : {}),
  });
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        ...(o.metricIntervalMs ? { exportIntervalMillis: o.metricIntervalMs } : {}),
      }),
    ],
  });
  const tracer = tracerProvider.getTracer('switchboard');
  const meter = meterProvider.getMeter('switchboard');
  const callsEnded = meter.createCounter('switchboard.calls', {
    description: 'Calls ended, by direction, connector, outcome and ended reason',
  });
  const callsActive = meter.createUpDownCounter('switchboard.calls.active', {
    description: 'Calls in progress in this process',
  });
  const callDuration = meter.createHistogram('switchboard.call.duration', {
    description: 'Length of ended calls',
    unit: 's',
  });
  const responseTime = meter.createHistogram('switchboard.turn.response_time', {
    description: "From the caller's last word to the agent's first audio sent to the carrier",
    unit: 'ms',
  });
  const toolDuration = meter.createHistogram('switchboard.tool.duration', {
    description: 'Tool calls, by tool and result',
    unit: 'ms',
  });

  const open = new Map<string, OpenCall>();
  const onTurn = (call: OpenCall, t: TurnLatency): void => {
    const marks = TURN_MARKS.filter((m) => t[m] !== undefined);
    if (marks.length === 0) return;
    const at = (m: keyof TurnLatency) => call.startedAt + (t[m] as number);
    const attributes: Attributes = { 'switchboard.turn': t.turn };
    for (const m of marks) attributes[`switchboard.turn.${m.replace(/Ms$/, '_ms')}`] = t[m] as number;
    if (t.callerStoppedMs !== undefined && t.firstAudioSentMs !== undefined) {
      const ms = t.firstAudioSentMs - t.callerStoppedMs;
      attributes['switchboard.turn.response_ms'] = ms;
      responseTime.record(ms, { 'switchboard.connector': String(call.attributes['switchboard.connector']) });
    }
    const turn = tracer.startSpan(
      'turn',
      { startTime: at(marks[0] as keyof TurnLatency), attributes },
      trace.setSpan(context.active(), call.span),
    );
    for (const [name, from, to] of TURN_PHASES) {
      if (t[from] === undefined || t[to] === undefined) continue;
      const span = tracer.startSpan(
        name,
        { startTime: at(from), attributes: { 'switchboard.turn': t.turn } },
        trace.setSpan(context.active(), turn),
      );
      span.end(Math.max(at(from), at(to)));
    }
    turn.end(at(marks[marks.length - 1] as keyof TurnLatency));
  };

  const onTool = (call: OpenCall, e: CallEventOf<'tool.called'>): void => {
    const { name, ok, durationMs } = e.data;
    const span = tracer.startSpan(
      `tool ${name}`,
      {
        startTime: e.at - durationMs,
        attributes: { 'switchboard.tool.name': name, 'switchboard.tool.ok': ok },
      },
      trace.setSpan(context.active(), call.span),
    );
    if (!ok) span.setStatus({ code: SpanStatusCode.ERROR, message: 'the tool call failed' });
    span.end(e.at);
    toolDuration.record(durationMs, { 'switchboard.tool.name': name, 'switchboard.tool.ok': ok });
  };

  const onEnded = (call: OpenCall, e: CallEventOf<'call.ended'>): void => {
    const d = e.data;
    const attributes: Attributes = {
      'switchboard.call.outcome': d.outcome,
      'switchboard.call.ended_reason': d.endedReason,
      'switchboard.call.duration_ms': d.durationMs,
      'switchboard.call.turns': d.latencies.length,
    };
    for (const [kind, ref] of Object.entries(d.providers ?? {}))
      attributes[`switchboard.provider.${kind}`] = ref;
    call.span.setAttributes(attributes);
    if (d.outcome === 'failed')
      call.span.setStatus({ code: SpanStatusCode.ERROR, message: d.error ?? d.endedReason });
    call.span.end(e.at);
    const labels = {
      'switchboard.call.direction': String(call.attributes['switchboard.call.direction']),
      'switchboard.connector': String(call.attributes['switchboard.connector']),
    };
    callsActive.add(-1, labels);
    callsEnded.add(1, {
      ...labels,
      'switchboard.call.outcome': d.outcome,
      'switchboard.call.ended_reason': d.endedReason,
    });
    callDuration.record(d.durationMs / 1000, labels);
  };

  const onEvent = (e: CallEvent): void => {
    if (e.type === 'call.started') {
      const attributes: Attributes = {
        'switchboard.call.id': e.callId,
        'switchboard.workspace.id': e.workspaceId,
        'switchboard.call.direction': e.data.direction,
        'switchboard.connector': e.data.connector,
        'switchboard.agent.id': e.data.agentId,
        'switchboard.agent.version': e.data.agentVersion,
      };
      const span = tracer.startSpan('call', {
        startTime: e.at,
        attributes,
        kind: e.data.direction === 'inbound' ? SpanKind.SERVER : SpanKind.CLIENT,
      });
      open.set(e.callId, { span, startedAt: e.at, attributes });
      callsActive.add(1, {
        'switchboard.call.direction': e.data.direction,
        'switchboard.connector': e.data.connector,
      });
      return;
    }
    const call = open.get(e.callId);
    // A call this process did not see start (it started before telemetry did) is not traced.
    if (!call) return;
    switch (e.type) {
      case 'turn.latency':
        onTurn(call, e.data);
        return;
      case 'tool.called':
        onTool(call, e);
        return;
      case 'call.ended':
        open.delete(e.callId);
        onEnded(call, e);
        return;
      case 'transcript.final':
        call.span.addEvent(
          'transcript',
          { 'switchboard.role': e.data.role, 'switchboard.chars': e.data.text.length },
          e.at,
        );
        return;
      case 'agent.interrupted':
        call.span.addEvent('barge-in', {}, e.at);
        return;
      case 'dtmf.received':
        call.span.addEvent('keypad', {}, e.at);
        return;
      case 'call.answered':
      case 'call.ringing':
      case 'recording.paused':
      case 'recording.resumed':
      case 'context.injected':
        call.span.addEvent(e.type, {}, e.at);
        return;
      default:
        return;
    }
  };
  const unsubscribe = o.bus.subscribe(onEvent);

  return {
    async stop() {
      unsubscribe();
      const now = Date.now();
      for (const call of open.values()) {
        call.span.setAttribute('switchboard.call.ended_reason', 'shutdown');
        call.span.end(now);
      }
      open.clear();
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
