/*
 * Just enough of POSIX tar (ustar) to carry a models bundle: regular files and directories, with
 * optional gzip. No tar library is among the project's dependencies, and a bundle needs none of
 * what one adds (links, permissions, sparse files), so this is written on Node's streams and
 * zlib rather than adding one. The reader also understands the GNU long-name and pax `path`
 * records, so a bundle re-packed with GNU or BSD tar imports too; anything that is not a regular
 * file or a directory (links, devices) is refused, as is a name that would land outside the
 * target directory.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { safeRelative } from './manifest.js';

const BLOCK = 512;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** One ustar header; names over 100 bytes go into the 155-byte prefix at a slash. */
function header(name: string, size: number, type: '0' | '5', mtimeSeconds: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100)
      throw new Error(`name too long for tar: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0, 100);
  h.write(octal(type === '5' ? 0o755 : 0o644, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(mtimeSeconds, 12), 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

export interface TarEntry {
  /** Path inside the archive. */
  name: string;
  /** File on disk to read it from. */
  path: string;
  size: number;
}

/** Writes `entries` as a tar archive to `file`, gzipped when `gzip`. */
export async function writeTar(file: string, entries: readonly TarEntry[], gzip: boolean): Promise<void> {
  const mtime = Math.floor(Date.now() / 1000);
  async function* blocks(): AsyncGenerator<Buffer> {
    for (const e of entries) {
      yield header(e.name, e.size, '0', mtime);
      let written = 0;
      for await (const chunk of createReadStream(e.path)) {
        written += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (written !== e.size) throw new Error(`${e.path} changed size while it was being archived`);
      const pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
      if (pad) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  const out = createWriteStream(file);
  if (gzip) await pipeline(blocks(), createGzip(), out);
  else await pipeline(blocks(), out);
}

/** Reads exact byte counts from a stream of chunks. */
class ByteReader {
  readonly #it: AsyncIterator<Buffer>;
  #buf: Buffer = Buffer.alloc(0);

  constructor(source: AsyncIterable<Buffer>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  /** Up to `max` bytes (at least one unless the stream ended). */
  async some(max: number): Promise<Buffer | undefined> {
    if (this.#buf.length === 0) {
      const next = await this.#it.next();
      if (next.done) return undefined;
      this.#buf = next.value;
    }
    const out = this.#buf.subarray(0, max);
    this.#buf = this.#buf.subarray(out.length);
    return out;
  }

  /** Exactly `n` bytes, or an error when the stream ends first. */
  async exact(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const b = await this.some(n - got);
      if (!b) throw new Error('the archive ends in the middle of an entry (truncated download or copy?)');
      parts.push(b);
      got += b.length;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }
}

const text = (b: Buffer, start: number, len: number) => {
  const s = b.subarray(start, start + len);
  const end = s.indexOf(0);
  return s.subarray(0, end < 0 ? s.length : end).toString('utf8');
};

function parseOctal(b: Buffer, start: number, len: number): number {
  const s = text(b, start, len).trim();
  if (!/^[0-7]*$/.test(s)) throw new Error('the archive has a damaged header (not a tar file?)');
  return s ? Number.parseInt(s, 8) : 0;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
  return sum === parseOctal(h, 148, 8);
}

/** The `path` record of a pax extended header, if any. */
function paxPath(data: Buffer): string | undefined {
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number.parseInt(data.subarray(at, space).toString(), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') return record.slice(eq + 1);
    at += len;
  }
  return undefined;
}

/** True when the file starts with the gzip magic bytes. */
async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(2);
    await fh.read(b, 0, 2, 0);
    return b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Extracts the regular files of a tar or tar.gz archive into `dir` (a leading `./` and one common
 * top-level directory are kept as they are; the caller finds the manifest). Returns the relative
 * paths written.
 */
export async function extractTar(file: string, dir: string): Promise<string[]> {
  const raw = createReadStream(file);
  let source: Readable = raw;
  if (await isGzip(file)) {
    const gunzip = createGunzip();
    source = raw.pipe(gunzip);
    raw.on('error', (e) => gunzip.destroy(e));
  } else {
    source = raw.pipe(new PassThrough());
  }
  const reader = new ByteReader(source);
  const written: string[] = [];
  let longName: string | undefined;
  try {
    for (;;) {
      const first = await reader.some(BLOCK);
      if (!first) break;
      const h =
        first.length === BLOCK ? first : Buffer.concat([first, await reader.exact(BLOCK - first.length)]);
      if (h.every((b) => b === 0)) break;
      if (!checksumOk(h)) throw new Error('the archive has a damaged header (not a tar file?)');
      const size = parseOctal(h, 124, 12);
      const type = String.fromCharCode(h[156] as number);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      const prefix = text(h, 345, 155);
      let name = longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
      longName = undefined;
      if (type === 'L' || type === 'x' || type === 'g') {
        const data = (await reader.exact(padded)).subarray(0, size);
        if (type === 'L') longName = text(data, 0, data.length);
        else if (type === 'x') longName = paxPath(data);
        continue;
      }
      name = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      if (type === '5' || name === '' || name === '.') {
        await reader.exact(padded);
        continue;
      }
      if (type !== '0' && type !== '\0') {
        throw new Error(`the archive holds ${name}, which is not a regular file`);
      }
      if (!safeRelative(name)) throw new Error(`the archive holds ${name}, a path outside the bundle`);
      const target = join(dir, name);
      await mkdir(dirname(target), { recursive: true });
      const out = await open(target, 'w');
      try {
        let left = size;
        while (left > 0) {
          const b = await reader.some(Math.min(left, 1 << 20));
          if (!b) throw new Error(`the archive ends in the middle of ${name} (truncated download or copy?)`);
          await out.write(b);
          left -= b.length;
        }
      } finally {
        await out.close();
      }
      await reader.exact(padded - size);
      written.push(name);
    }
  } finally {
    raw.destroy();
    source.destroy();
  }
  return written;
}
