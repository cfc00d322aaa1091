/** Where the built dashboard lives; the platform serves it from here. */
export declare const webDist: string;
/** True when dist/ is missing or older than a source file. */
export declare function webStale(): boolean;
export interface WebBuild {
  ms: number;
  /** Gzip bytes of what the first page loads: entry script, its static imports and the CSS. */
  firstPageGzipBytes: number;
  firstPage: string[];
  chunks: number;
}
export declare function buildWeb(): Promise<WebBuild>;
/** Builds the dashboard when it is missing or stale; returns where it is. */
export declare function ensureWeb(): Promise<string>;
