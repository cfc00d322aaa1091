import { acquireDialQueue, OutboundCalls } from '@switchboard/dialer';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CallControl, type ControlCommand } from '../calls/call-control.js';
import { LiveFeed } from '../calls/live-feed.js';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, stdErrors } from '../schemas.js';
import { followCall, LIVE_STREAM_EXAMPLE } from './call-live.js';

const outcome = z
  .object({
    callId: z.uuid(),
    action: z.enum(['hangup', 'say', 'inject', 'transfer', 'recording']),
    result: z
      .enum(['applied', 'forwarded', 'cancelled'])
      .describe(
        '`applied`: done by the process running the call. `forwarded`: sent to the process running it ' +
          '(follow `GET /v1/calls/{id}/live` to see it happen). `cancelled`: an outbound call not ' +
          'answered yet was cancelled instead.',
      ),
    recording: z
      .enum(['recording', 'paused'])
      .optional()
      .describe("The recording's state after a pause or resume applied here"),
  })
  .meta({
    id: 'CallControlResult',
    examples: [{ callId: '8e4a1b2c-3d5f-4a6b-9c7d-0e1f2a3b4c5d', action: 'say', result: 'applied' }],
  });

const LIVE_ONLY =
  'Needs the member role; 404 when no call of this workspace has the id, 409 when the call has ended or ' +
  'has not been answered yet.';

/** Hang-up, say, inject and recording controls of live calls, and following a call live. */
export const callControlRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { store, logger } = deps;
    const tags = ['calls'];
    const { queue, release } = acquireDialQueue(store.database, { logger });
    const outbound = new OutboundCalls(store, queue);
    const control = new CallControl({
      store,
      logger,
      ...(deps.calls ? { runner: deps.calls.runner } : {}),
      ...(deps.calls?.directory ? { directory: deps.calls.directory } : {}),
      cancelOutbound: (workspaceId, callId) => outbound.cancel(workspaceId, callId),
    });
    await control.start();
    const feed = deps.calls ? new LiveFeed(deps.calls.bus) : undefined;
    app.addHook('onClose', async () => {
      feed?.close();
      await control.stop();
      await release();
    });

    const command = (path: string, summary: string, description: string, body: z.ZodType | undefined) =>
      ({
        config: { role: 'member' as const },
        schema: {
          tags,
          summary,
          description: `${description} ${LIVE_ONLY}`,
          params: idParams,
          ...(body ? { body } : {}),
          response: { 202: outcome, ...stdErrors },
        },
        path,
      }) as const;

    const run = (req: FastifyRequest, cmd: ControlCommand) =>
      control.apply(ws(req), (req.params as { id: string }).id, cmd);

    const hangup = command(
      '/calls/:id/hangup',
      'Hang up a live call',
      'Ends any live call, inbound or outbound, whichever process runs it: the connector hangs up on its ' +
        'own wire and the call ends with the reason `api-hangup`. An outbound call not answered yet is ' +
        'cancelled instead (as `POST /v1/calls/{id}/cancel` does).',
      undefined,
    );
    app.post(hangup.path, hangup, async (req, reply) =>
      reply.status(202).send(await run(req, { action: 'hangup' })),
    );

    const sayBody = z
      .strictObject({
        text: z.string().trim().min(1).max(2000).describe('What the agent says, in its own voice'),
        interrupt: z
          .boolean()
          .default(false)
          .describe(
            'true: what the agent is saying stops now (reported as `agent.interrupted`) and this is said ' +
              'next. false (the default): it is said once the agent has finished speaking.',
          ),
      })
      .meta({
        examples: [
          { text: 'Just so you know, our office closes in ten minutes.' },
          { text: 'I have to stop you there: the line is about to close.', interrupt: true },
        ],
      });
    const say = command(
      '/calls/:id/say',
      'Make the agent say something now',
      "Speaks `text` on the call in the agent's voice. The line joins the transcript and the model's " +
        'memory of the conversation like anything else the agent said.',
      sayBody,
    );
    app.post(say.path, say, async (req, reply) => {
      const b = req.body as z.infer<typeof sayBody>;
      return reply.status(202).send(await run(req, { action: 'say', text: b.text, interrupt: b.interrupt }));
    });

    const injectBody = z
      .strictObject({
        message: z.string().trim().min(1).max(4000).describe('A system message for the model'),
      })
      .meta({ examples: [{ message: 'The caller has just paid invoice 1042 online; thank them for it.' }] });
    const inject = command(
      '/calls/:id/inject',
      'Add a system message to a live conversation',
      'Adds `message` to the conversation as a system message, which the model reads on its next turn; it ' +
        'does not make the agent speak by itself. Recorded as a `context.injected` event. A speech-to-speech ' +
        'provider with no way to take one mid-call answers 409.',
      injectBody,
    );
    app.post(inject.path, inject, async (req, reply) => {
      const b = req.body as z.infer<typeof injectBody>;
      return reply.status(202).send(await run(req, { action: 'inject', text: b.message }));
    });

    const destination = z
      .string()
      .max(300)
      .regex(
        /^(\+[1-9]\d{6,14}|sips?:\S{3,300})$/,
        'expected an E.164 number such as +14155550100 or a SIP URI such as sip:desk@pbx.example.com',
      );
    const transferBody = z
      .strictObject({
        target: destination.optional().describe('Where the caller goes: an E.164 number or a SIP URI'),
        to: destination.optional().describe('Same as `target` (give one of the two)'),
        mode: z
          .enum(['cold', 'warm'])
          .default('cold')
          .describe(
            '`cold` hands the caller over and leaves. `warm` calls the person while the caller holds, ' +
              'tells them what the call is about, then bridges the two',
          ),
        message: z.string().trim().min(1).max(500).optional().describe('Said to the caller first'),
        summary: z
          .string()
          .trim()
          .min(1)
          .max(1000)
          .optional()
          .describe(
            'Warm: what the person hears before the bridge; the agent’s model writes one when absent',
          ),
        hold: z
          .enum(['music', 'silence'])
          .default('music')
          .describe('Warm: what the caller hears while the person is called'),
        timeoutSeconds: z
          .number()
          .int()
          .min(5)
          .max(120)
          .default(30)
          .describe('Warm: ring time before the agent takes the caller back'),
      })
      .superRefine((b, ctx) => {
        if (!b.target && !b.to)
          ctx.addIssue({ code: 'custom', path: ['target'], message: 'target (or to) is required' });
        if (b.target && b.to && b.target !== b.to)
          ctx.addIssue({
            code: 'custom',
            path: ['to'],
            message: 'give target or to, not two different ones',
          });
        if (b.mode === 'cold' && b.summary)
          ctx.addIssue({ code: 'custom', path: ['summary'], message: 'summary is for mode warm' });
      })
      .meta({
        examples: [
          { target: '+14155550100', message: 'Putting you through to our billing team now.' },
          { target: 'sip:frontdesk@pbx.example.com' },
          {
            to: 'sip:desk@pbx.example.com',
            mode: 'warm',
            summary: 'Ada Lovelace, order 1042 arrived damaged; she would like a replacement.',
            message: 'Please hold while I find a colleague for you.',
          },
        ],
      });
    const transfer = command(
      '/calls/:id/transfer',
      'Transfer a live call (cold or warm)',
      'Cold (the default) hands the caller to `target` and leaves the call: SIP sends a REFER, Twilio ' +
        'replaces the call’s TwiML with a `<Dial>`, Plivo and Telnyx use their transfer actions, ARI redirects ' +
        'or continues the channel. The call then ends with the reason `transfer`. Warm (`mode: "warm"`, on ' +
        'built-in SIP and Asterisk ARI) calls the person while the caller holds (`hold`), plays them `summary` ' +
        '(or one the agent’s model writes from the transcript) and bridges the two: the call ends with ' +
        'outcome `transferred`. If nobody answers within `timeoutSeconds` (or the line is busy, or the call ' +
        'is declined) the agent takes the caller back, says so, and the call goes on. A warm transfer answers ' +
        'as soon as it is under way; its progress follows as `transfer.status` events (attempted, answered, ' +
        'failed, bridged). `message` is said to the caller first. A connector that cannot transfer this way ' +
        '(AudioSocket; warm on Twilio, Plivo, Telnyx and the browser) or a carrier that refuses answers 409 ' +
        'naming the connector, and the call goes on.',
      transferBody,
    );
    app.post(transfer.path, transfer, async (req, reply) => {
      const b = req.body as z.infer<typeof transferBody>;
      const cmd: ControlCommand = {
        action: 'transfer',
        target: (b.target ?? b.to) as string,
        ...(b.message ? { message: b.message } : {}),
        ...(b.mode === 'warm'
          ? {
              mode: 'warm' as const,
              hold: b.hold,
              timeoutMs: b.timeoutSeconds * 1000,
              ...(b.summary ? { summary: b.summary } : {}),
            }
          : {}),
      };
      return reply.status(202).send(await run(req, cmd));
    });

    for (const [verb, state] of [
      ['pause', 'paused'],
      ['resume', 'recording'],
    ] as const) {
      const op = command(
        `/calls/:id/recording/${verb}`,
        verb === 'pause' ? 'Pause the recording of a live call' : 'Resume the recording of a live call',
        verb === 'pause'
          ? 'From now until it is resumed both channels record silence, so the file keeps the call’s ' +
              'timeline and shows the gap (a `recording.paused` event marks it). Pausing a paused recording ' +
              'changes nothing. 409 when the call is not being recorded.'
          : 'Recording starts again; the `recording.resumed` event says how long it was paused. Resuming ' +
              'a recording that is not paused changes nothing. 409 when the call is not being recorded.',
        undefined,
      );
      app.post(op.path, op, async (req, reply) =>
        reply.status(202).send(await run(req, { action: 'recording', state })),
      );
    }

    app.get(
      '/calls/:id/live',
      {
        schema: {
          tags,
          summary: 'Follow a call live (Server-Sent Events)',
          description:
            'A `text/event-stream` of the call as it happens; any role. It opens with `state` (the call as ' +
            '`GET /v1/calls/{id}` shows it), replays what a running call has said so far, then sends each ' +
            'event as it happens, named by its type: `call.ringing`, `call.answered`, `transcript.partial`, ' +
            '`transcript.final`, `turn.latency`, `tool.called`, `dtmf.received`, `agent.interrupted`, ' +
            '`recording.paused`, `recording.resumed`, `context.injected`, `call.ended`. It ends with `end` ' +
            '(outcome and reason) and closes. A call that has already ended sends `state` and `end` at once. ' +
            'A call run by another process is followed from the database: status changes and stored ' +
            'events only, within a second. Comment lines keep the connection open. 404 when no call of this ' +
            'workspace has the id.',
          params: idParams,
          produces: ['text/event-stream'],
          response: {
            200: z
              .string()
              .describe('text/event-stream')
              .meta({ examples: [LIVE_STREAM_EXAMPLE] }),
            ...stdErrors,
          },
        },
      },
      async (req, reply) => {
        const workspaceId = ws(req);
        const callId = req.params.id;
        // A call that runs here is followed even before its row is written (its first moments).
        const call = await store.calls.get(workspaceId, callId).catch((e: unknown) => {
          if (feed?.runs(callId, workspaceId)) return undefined;
          throw e;
        });
        await followCall({ req, reply, store, feed, call, callId, workspaceId, logger });
      },
    );
  };
