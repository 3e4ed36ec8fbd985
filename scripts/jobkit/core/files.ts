import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';
import { KitError } from './errors.js';

/** The largest answers or spec file the kit reads: far above any real job. */
export const MAX_INPUT_BYTES = 1024 * 1024;
/** The largest host source file the kit reads or edits. */
export const MAX_HOST_FILE_BYTES = 16 * 1024 * 1024;

const FS_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device; free some space and run again',
  EDQUOT: 'the disk quota is used up; free some space and run again',
  EACCES: 'permission denied; check its permissions and owner',
  EPERM: 'not permitted (read-only or immutable?); check its permissions and attributes',
  EROFS: 'the file system is read-only',
  EISDIR: 'is a folder where a file was expected',
  ENOTDIR: 'a part of the path is a file where a folder was expected',
  ENOENT: 'does not exist',
  EBUSY: 'is busy (in use by another program); close it and run again',
  EMFILE: 'too many open files; raise the limit (ulimit -n) or close programs',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links',
};

/** An operating-system error in plain words, without a stack: `what (CODE)`. */
export function describeFsError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code && FS_ERRORS[code]) return `${FS_ERRORS[code]} (${code})`;
  return code ? `${message.split('\n')[0] ?? code}` : String(message ?? error);
}

/** Whether `error` is an operating-system error (it has an errno code and a syscall). */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    typeof (error as NodeJS.ErrnoException).syscall === 'string'
  );
}

/**
 * Reads a whole file as UTF-8, refusing more than `limit`
 * bytes before reading them: a device such as /dev/zero or a huge file ends in an
 * error naming it, not in memory exhaustion. Invalid UTF-8 is refused too, rather
 * than turned silently into U+FFFD. Returns null when the file does not exist.
 */
export function readBounded(file: string, label: string, limit: number): string | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KitError(`${label}: cannot be read: ${describeFsError(error)}`, label);
  }
  try {
    return readOpenFile(fd, label, limit);
  } finally {
    closeSync(fd);
  }
}

/** Said when standard input is a terminal, where a person types or pastes the text. */
export const WAITING_FOR_INPUT =
  'Reading standard input: paste or type the text, then press Ctrl-D on a line of its own.';

/**
 * An answers or spec file's text (`-`: standard input), with the checks of
 * readBounded; null when the file does not exist. Standard input is read as a stream:
 * a synchronous read would hold the process while a person types or a pipe waits,
 * and Ctrl-C could not stop it.
 */
export async function readInput(
  source: string,
  label: string,
  limit: number,
): Promise<string | null> {
  if (source !== '-') return readBounded(source, label, limit);
  // At a terminal the run would otherwise wait in silence.
  if (process.stdin.isTTY) process.stderr.write(`${WAITING_FOR_INPUT}\n`);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) {
        process.stdin.destroy();
        throw tooLargeError(label, limit);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof KitError) throw error;
    throw new KitError(`${label}: cannot be read: ${describeFsError(error)}`, label);
  }
  return decodeUtf8(Buffer.concat(chunks, total), label);
}

function tooLargeError(label: string, limit: number): KitError {
  return new KitError(
    `${label}: is larger than ${Math.round(limit / 1024)} KiB, more than the kit reads; check the path`,
    label,
  );
}

/** An open file's text, with the checks of readBounded. */
export function readOpenFile(fd: number, label: string, limit: number): string {
  return decodeUtf8(readAtMost(fd, label, limit), label);
}

function readAtMost(fd: number, label: string, limit: number): Buffer {
  const tooLarge = () => tooLargeError(label, limit);
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory())
      throw Object.assign(new Error('EISDIR'), { code: 'EISDIR', syscall: 'read' });
    if (stats.isFile() && stats.size > limit) throw tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      // A device such as /dev/zero never ends: the limit stops it.
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      total += read;
      if (total > limit) throw tooLarge();
      chunks.push(Buffer.from(chunk.subarray(0, read)));
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof KitError) throw error;
    throw new KitError(`${label}: cannot be read: ${describeFsError(error)}`, label);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Buffer, label: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new KitError(
      `${label}: is not valid UTF-8 (at byte ${at}); save it as UTF-8 and run again`,
      label,
    );
  }
}

/** The offset of the first byte that starts no valid UTF-8 sequence (for the message). */
function firstInvalidUtf8(bytes: Buffer): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index] ?? 0;
    const length =
      lead < 0x80
        ? 1
        : lead >= 0xc2 && lead <= 0xdf
          ? 2
          : lead >= 0xe0 && lead <= 0xef
            ? 3
            : lead >= 0xf0 && lead <= 0xf4
              ? 4
              : 0;
    if (length === 0) return index;
    for (let next = 1; next < length; next += 1) {
      const byte = bytes[index + next];
      if (byte === undefined || byte < 0x80 || byte > 0xbf) return index;
    }
    index += length;
  }
  // Valid by this measure but not to the decoder (an overlong form or a surrogate).
  return 0;
}

/** The file's text, or null when it does not exist. */
export function readIfPresent(path: string): string | null {
  return readBounded(path, path, MAX_HOST_FILE_BYTES);
}

/** Deletes `path`; already gone is fine. */
export function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** What `operation` gives, or null when the file it looks at does not exist. */
export async function unlessMissing<T>(operation: Promise<T>): Promise<T | null> {
  try {
    return await operation;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Writes a cache file whole or not at all: to a temporary sibling, renamed into
 * place, so a run starting meanwhile reads a whole cache or none. A cache only saves
 * time, so one that cannot be written (read-only folder, full disk) is left unwritten
 * and the run goes on: it returns the error instead of throwing it.
 */
export function saveCache(path: string, data: string | Uint8Array): NodeJS.ErrnoException | null {
  // The formatting thread and the main thread may save the same cache at once.
  const temporary = `${path}.${process.pid}-${threadId}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, data);
    renameSync(temporary, path);
    return null;
  } catch (error) {
    try {
      removeIfPresent(temporary);
    } catch {
      // The temporary file could not be written either; nothing is left to remove.
    }
    return error as NodeJS.ErrnoException;
  }
}
