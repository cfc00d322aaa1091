// The package ships a raw Emscripten factory without types. These declarations cover only what
// the espeak adapter calls; the adapter's tests check them against the real module.
declare module '@echogarden/espeak-ng-emscripten' {
  export interface EspeakNgWorker {
    /** 0 on success, non-zero when the voice is unknown. */
    set_voice(name: string): number;
    set_rate(wordsPerMinute: number): number;
    get_samplerate(): number;
    /**
     * Synthesizes synchronously, calling back with consecutive chunks of 16-bit mono samples (a
     * copy). Returning true from the callback stops synthesis.
     */
    synthesize(text: string, callback: (samples: Int16Array, events: unknown[]) => boolean): void;
  }
  export interface EspeakNgModule {
    eSpeakNGWorker: new () => EspeakNgWorker;
  }
  /** Emscripten module settings; `getPreloadedPackage` supplies espeak-ng.data's bytes. */
  const init: (moduleArg?: {
    getPreloadedPackage?: (name: string, size: number) => ArrayBuffer;
  }) => Promise<EspeakNgModule>;
  export default init;
}
