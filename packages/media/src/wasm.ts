import type { FvadModule } from '@echogarden/fvad-wasm';
import type { SpeexModule } from '@echogarden/speex-resampler-wasm/simd';

/**
 * The WASM modules are instantiated once per process. Instantiation is async (it compiles the
 * module), but every call into them afterwards is synchronous, so the per-frame paths
 * (resampling, conversion) stay synchronous and cheap. Call `await initMedia()` at startup.
 */
interface MediaWasm {
  speex: SpeexModule;
  fvad: FvadModule;
}

let loading: Promise<MediaWasm> | undefined;
let loaded: MediaWasm | undefined;

async function load(): Promise<MediaWasm> {
  // The SIMD build is 2-3x faster than the plain one (deps.md §5); every supported Node.js has WASM SIMD.
  const [speexMod, fvadMod] = await Promise.all([
    import('@echogarden/speex-resampler-wasm/simd'),
    import('@echogarden/fvad-wasm'),
  ]);
  const [speex, fvad] = await Promise.all([speexMod.default(), fvadMod.default()]);
  return { speex, fvad };
}

/** Loads the resampler and WebRTC VAD WASM modules. Idempotent; safe to call concurrently. */
export function initMedia(): Promise<void> {
  if (!loading) {
    loading = load().then(
      (m) => {
        loaded = m;
        return m;
      },
      (err: unknown) => {
        // Let a later call retry instead of caching the failure forever.
        loading = undefined;
        throw err;
      },
    );
  }
  return loading.then(() => undefined);
}

export const mediaReady = (): boolean => loaded !== undefined;

function required(): MediaWasm {
  if (!loaded) throw new Error('media WASM not loaded: await initMedia() before resampling or WebRTC VAD');
  return loaded;
}

export const speexModule = (): SpeexModule => required().speex;
export const fvadModule = (): FvadModule => required().fvad;
