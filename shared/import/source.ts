// Opens an import file as a stream of text: counts the raw (compressed) bytes read for progress,
// gunzips when the file starts with the gzip magic, and never holds more than a stream buffer in memory.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, Transform, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';
import { ImportError, errorMessage } from './types';

const GZIP_MAGIC = [0x1f, 0x8b];

export interface TextSource {
  file: string;
  totalBytes: number;
  gzip: boolean;
  /** Raw bytes read from disk so far (compressed bytes for .gz): the basis of progress. */
  bytesRead(): number;
  /** Decoded text chunks; iterating to the end or breaking out closes the file. */
  chunks(): AsyncIterable<string>;
}

function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

function unreadable(file: string, err: unknown): ImportError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : errorMessage(err);
  return new ImportError(`Cannot read ${file}: ${why}`, file, null, { cause: err });
}

/** Reads the first `size` bytes (fewer for small files) and the file size; throws a readable ImportError. */
async function readHead(file: string, size: number): Promise<{ head: Buffer; totalBytes: number }> {
  let handle;
  try {
    handle = await open(file, 'r');
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const buf = Buffer.alloc(Math.min(size, stat.size));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return { head: buf.subarray(0, bytesRead), totalBytes: stat.size };
  } catch (err) {
    throw unreadable(file, err);
  } finally {
    await handle?.close();
  }
}

/** The first `size` bytes of the decompressed text (for sniffing the format); tolerates a cut gzip stream. */
export async function readTextHead(file: string, size: number): Promise<{ text: string; gzip: boolean }> {
  const { head } = await readHead(file, size);
  if (!isGzip(head)) return { text: new StringDecoder('utf8').write(head), gzip: false };
  try {
    // Z_SYNC_FLUSH lets a prefix of a gzip file decompress without "unexpected end of file".
    const text = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, size);
    return { text: new StringDecoder('utf8').write(text), gzip: true };
  } catch (err) {
    throw new ImportError(`Cannot read ${file}: it starts like a gzip file but does not decompress (${errorMessage(err)})`, file, null, {
      cause: err,
    });
  }
}

export async function openTextSource(file: string): Promise<TextSource> {
  const { head, totalBytes } = await readHead(file, 2);
  const gzip = isGzip(head);
  let bytes = 0;
  return {
    file,
    totalBytes,
    gzip,
    bytesRead: () => bytes,
    chunks: () => {
      const raw = createReadStream(file, { highWaterMark: 256 * 1024 });
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      let out: Readable;
      if (gzip) {
        const gunzip = zlib.createGunzip();
        // Errors of any stage destroy the last one, so they surface in the consumer's for-await.
        out = pipeline(raw, counter, gunzip, () => {});
      } else {
        out = pipeline(raw, counter, () => {});
      }
      return decodeText(out, file, gzip);
    },
  };
}

async function* decodeText(stream: Readable, file: string, gzip: boolean): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let text = decoder.write(chunk);
      // A UTF-8 byte order mark (spreadsheet exports) is not part of the first field name.
      if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
      if (text.length > 0) yield text;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (gzip && typeof code === 'string' && code.startsWith('Z_')) {
      throw new ImportError(`${file}: the gzip data is truncated or corrupt (${errorMessage(err)})`, file, null, { cause: err });
    }
    if (err instanceof ImportError) throw err;
    throw unreadable(file, err);
  } finally {
    stream.destroy();
  }
  const rest = decoder.end();
  if (rest.length > 0) yield rest;
}

/** Splits text chunks into lines (LF or CRLF), with 1-based line numbers. */
export async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<{ line: number; text: string }> {
  let buffer = '';
  let line = 0;
  for await (const chunk of chunks) {
    buffer += chunk;
    let start = 0;
    let nl: number;
    while ((nl = buffer.indexOf('\n', start)) !== -1) {
      const end = nl > start && buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      line++;
      yield { line, text: buffer.slice(start, end) };
      start = nl + 1;
    }
    buffer = buffer.slice(start);
  }
  if (buffer.length > 0) {
    line++;
    yield { line, text: buffer.endsWith('\r') ? buffer.slice(0, -1) : buffer };
  }
}
