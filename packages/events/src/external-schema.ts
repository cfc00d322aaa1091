import { CALL_OUTCOMES, CALL_STATUSES } from '@switchboard/core';
import { z } from 'zod';

const when = z.iso.datetime({ offset: true });
const text = (max: number) => z.string().max(max);

/**
 * One item of the external-updates batch: the shape queue-driven calling systems already send.
 * `status` is a call status, or an outcome (`completed`, `busy`…) meaning "ended with it".
 */
export const externalUpdateSchema = z.strictObject({
  call_id: z.string().min(1).max(200),
  campaign_id: text(200).nullish(),
  phone_number: text(64).nullish(),
  status: z.enum([...CALL_STATUSES, ...CALL_OUTCOMES]),
  call_outcome: z.enum(CALL_OUTCOMES).nullish(),
  duration_seconds: z
    .number()
    .min(0)
    .max(7 * 24 * 3600)
    .nullish(),
  start_time: when.nullish(),
  end_time: when.nullish(),
  recording_url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .nullish(),
  recording_status: text(50).nullish(),
  transcript: z
    .union([
      text(500_000),
      z
        .array(
          z.object({
            role: text(20),
            text: text(20_000).optional(),
            content: text(20_000).optional(),
          }),
        )
        .max(5000),
    ])
    .nullish(),
  variables: z.record(z.string().max(100), z.string().max(2000)).nullish(),
  agent_name: text(200).nullish(),
  data_source: text(100).nullish(),
  queue_job_id: text(200).nullish(),
  status_progression: z
    .array(z.object({ status: text(50), at: when }))
    .max(100)
    .nullish(),
  error: text(2000).nullish(),
});

export type ExternalUpdate = z.infer<typeof externalUpdateSchema>;
export const externalUpdatesBody = z.array(externalUpdateSchema).min(1).max(500);
