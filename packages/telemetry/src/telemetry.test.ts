import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CallEvent, CallEventBus } from '@switchboard/core';
import { startTelemetry } from './index.js';
import { attr, Collector, ms } from './testing.js';

describe('OpenTelemetry from the call event stream', () => {
  const collector = new Collector();
  const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  before(async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = await collector.listen();
  });
  after(() => {
    if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
    collector.server.close();
  });

  test('a call is a trace: the call span, its turns with their phases, its tool calls', async () => {
    const bus = new CallEventBus();
    const telemetry = startTelemetry({ bus, instanceId: 'proc-1', version: '1.2.3' });
    const t0 = 1_800_000_000_000;
    const base = { callId: 'call_1', workspaceId: 'ws_1' };
    const events: CallEvent[] = [
      {
        ...base,
        type: 'call.started',
        at: t0,
        data: {
          direction: 'inbound',
          from: '+15551230001',
          to: 'demo',
          agentId: 'agt_1',
          agentVersion: 3,
          connector: 'sip',
        },
      },
      {
        ...base,
        type: 'transcript.final',
        at: t0 + 2_000,
        data: { role: 'caller', text: 'opening hours?', startMs: 1_000 },
      },
      {
        ...base,
        type: 'turn.latency',
        at: t0 + 2_900,
        data: {
          turn: 1,
          callerStoppedMs: 2_000,
          asrFinalMs: 2_300,
          llmFirstTokenMs: 2_600,
          ttsFirstAudioMs: 2_800,
          firstAudioSentMs: 2_850,
        },
      },
      {
        ...base,
        type: 'tool.called',
        at: t0 + 4_000,
        data: { name: 'lookup', args: {}, result: null, ok: false, durationMs: 250 },
      },
      {
        ...base,
        type: 'call.ended',
        at: t0 + 5_000,
        data: {
          outcome: 'completed',
          endedReason: 'caller-hangup',
          durationMs: 5_000,
          transcript: [],
          latencies: [{ turn: 1 }],
          providers: { asr: 'local:soundswallower', llm: 'local:matcher' },
        },
      },
    ];
    for (const e of events) bus.publish(e);
    await new Promise((r) => setImmediate(r));
    await telemetry.stop();

    const byName = (name: string) => collector.spans.filter((s) => s.name === name);
    const [call] = byName('call');
    assert.ok(call, `a call span: ${collector.spans.map((s) => s.name)}`);
    assert.equal(attr(call, 'switchboard.call.id'), 'call_1');
    assert.equal(attr(call, 'switchboard.connector'), 'sip');
    assert.equal(attr(call, 'switchboard.call.outcome'), 'completed');
    assert.equal(attr(call, 'switchboard.call.ended_reason'), 'caller-hangup');
    assert.equal(attr(call, 'switchboard.provider.asr'), 'local:soundswallower');
    assert.equal(ms(call.startTimeUnixNano), t0);
    assert.equal(ms(call.endTimeUnixNano), t0 + 5_000);
    assert.deepEqual(
      call.events?.map((e) => e.name),
      ['transcript'],
      'the transcript line is an event, without its text',
    );
    assert.ok(!JSON.stringify(call).includes('opening hours'));

    const [turn] = byName('turn');
    assert.ok(turn);
    assert.equal(turn.parentSpanId, call.spanId);
    assert.equal(turn.traceId, call.traceId);
    assert.equal(attr(turn, 'switchboard.turn.response_ms'), 850);
    assert.equal(ms(turn.startTimeUnixNano), t0 + 2_000);
    assert.equal(ms(turn.endTimeUnixNano), t0 + 2_850);
    for (const [phase, from, to] of [
      ['asr', 2_000, 2_300],
      ['llm', 2_300, 2_600],
      ['tts', 2_600, 2_800],
      ['send', 2_800, 2_850],
    ] as const) {
      const [span] = byName(phase);
      assert.ok(span, `${phase} span`);
      assert.equal(span.parentSpanId, turn.spanId, `${phase} is a phase of the turn`);
      assert.equal(ms(span.startTimeUnixNano), t0 + from, `${phase} starts`);
      assert.equal(ms(span.endTimeUnixNano), t0 + to, `${phase} ends`);
    }

    const [tool] = byName('tool lookup');
    assert.ok(tool);
    assert.equal(tool.parentSpanId, call.spanId);
    assert.equal(ms(tool.startTimeUnixNano), t0 + 3_750);
    assert.equal(tool.status?.code, 2, 'a failed tool call is an error span');

    for (const name of [
      'switchboard.calls',
      'switchboard.call.duration',
      'switchboard.turn.response_time',
      'switchboard.tool.duration',
    ]) {
      assert.ok(collector.metrics.includes(name), `metric ${name} exported: ${collector.metrics}`);
    }
  });

  test('a call still open at shutdown is ended and exported, marked shutdown', async () => {
    collector.spans = [];
    const bus = new CallEventBus();
    const telemetry = startTelemetry({ bus, instanceId: 'proc-2' });
    bus.publish({
      callId: 'call_2',
      workspaceId: 'ws_1',
      type: 'call.started',
      at: Date.now(),
      data: {
        direction: 'outbound',
        from: '+15551230001',
        to: '+15551230002',
        agentId: 'agt_1',
        agentVersion: 1,
        connector: 'twilio',
      },
    });
    await new Promise((r) => setImmediate(r));
    await telemetry.stop();
    const [call] = collector.spans.filter((s) => s.name === 'call');
    assert.ok(call);
    assert.equal(attr(call, 'switchboard.call.ended_reason'), 'shutdown');
  });
});
