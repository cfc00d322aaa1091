import { rm } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { Logger } from '@switchboard/core';
import type { Call, RetentionSweep, Store } from '@switchboard/store';

/**
 * Deletes a recording file, but only one inside `DATA_DIR/recordings` (a row can never aim it
 * elsewhere); a file already gone is fine (another process, or an earlier attempt, removed it).
 */
async function removeRecording(dataDir: string, path: string, logger: Logger): Promise<boolean> {
  const root = resolve(dataDir, 'recordings') + sep;
  const file = resolve(path);
  if (!file.startsWith(root)) {
    logger.warn({ path: file }, 'recording outside the recordings directory left in place');
    return false;
  }
  try {
    await rm(file, { force: true });
    return true;
  } catch (err) {
    logger.warn(
      { err: err instanceof Error ? err.message : String(err), path: file },
      'could not delete a recording',
    );
    return false;
  }
}

/**
 * Applies the retention settings (every workspace, or one): deletes the rows' data in one
 * transaction, then the recording files those rows no longer point at. `dryRun` only counts.
 */
export async function applyRetention(
  store: Store,
  opts: { dataDir: string; logger: Logger; dryRun: boolean; workspaceId?: string; now?: Date },
): Promise<Omit<RetentionSweep, 'files'>> {
  const { files, ...result } = await store.retention.sweep({
    now: opts.now ?? new Date(),
    dryRun: opts.dryRun,
    ...(opts.workspaceId ? { workspaceId: opts.workspaceId } : {}),
  });
  for (const f of files) await removeRecording(opts.dataDir, f, opts.logger);
  return result;
}

/** Erases one ended call's data (see `RetentionRepo.erase`) and deletes its recording file. */
export async function eraseCall(
  store: Store,
  opts: { dataDir: string; logger: Logger; workspaceId: string; callId: string },
): Promise<Call> {
  const { call, recordingPath } = await store.retention.erase(opts.workspaceId, opts.callId);
  if (recordingPath) await removeRecording(opts.dataDir, recordingPath, opts.logger);
  return call;
}
