/**
 * Where `--out` writes, checked before any work is done, and how it writes there: a regular file
 * (or a new one) all at once, through a temporary file renamed over it, so that a failed run never
 * leaves half a result; a FIFO, a character device (e.g. /dev/null), a socket or /dev/stdout
 * straight into it, as a shell redirection would. A symbolic link is written through (its target
 * is replaced, the link stays). Every message names the path the user gave, never the
 * temporary file.
 */

import {
  accessSync,
  chmodSync,
  constants,
  readlinkSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { createConnection } from 'node:net';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError, RuntimeError } from './errors.js';

export type OutputKind =
  /** A regular file, or a new one: written to a temporary file beside it, then renamed over it. */
  | 'file'
  /** A FIFO or a character device: opened and written in place. */
  | 'stream'
  /** A Unix socket: connected to and written. */
  | 'socket'
  /** This process's standard output or error (/dev/stdout, /dev/fd/1, /proc/self/fd/2 ...). */
  | 'stdout'
  | 'stderr';

export interface OutputTarget {
  /** The path as the user gave it: the one every message names. */
  given: string;
  /** The path written: the link's target for a symbolic link, else the path itself (absolute). */
  target: string;
  kind: OutputKind;
  /** The mode of the regular file being replaced, kept on the new one. */
  mode: number | undefined;
}

/** The most symbolic links followed from one path, as the kernel's own limit (ELOOP). */
const MAX_LINKS = 40;

/** A short reason for a failed file operation; Node's own messages name the path it touched (the temporary file). */
function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such file or folder';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EISDIR':
      return 'is a folder';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'EPIPE':
    case 'ECONNREFUSED':
    case 'ECONNRESET':
      return 'nothing is reading at the other end';
    case 'ENXIO':
      return 'no reader at the other end';
    default:
      return code ?? (e instanceof Error ? e.message : String(e));
  }
}

function refuse(given: string, message: string): never {
  throw new InputError([{ path: '--out', message: `${given}: ${message}` }]);
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw e;
  }
}

/** This process's own standard stream that a path names, if it names one. */
function standardStream(absolute: string): 'stdout' | 'stderr' | undefined {
  const named = /^\/dev\/(stdout|stderr)$/.exec(absolute);
  if (named) return named[1] as 'stdout' | 'stderr';
  const fd = /^\/(?:dev\/fd|proc\/(?:self|thread-self|(\d+))\/fd)\/([12])$/.exec(absolute);
  if (!fd || (fd[1] !== undefined && Number(fd[1]) !== process.pid)) return undefined;
  return fd[2] === '1' ? 'stdout' : 'stderr';
}

/** A path to one of this process's open file descriptors. */
const FD_PATH = /^\/(?:dev\/fd|proc\/(?:self|thread-self|\d+)\/fd)\/\d+$/;

/** Follows symbolic links (also to a target that does not exist yet), up to MAX_LINKS. */
function followLinks(absolute: string, given: string): string {
  let path = absolute;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    // Links to open files (/dev/stdout, /dev/fd/63 of a shell's `>(...)`) end in names like
    // `pipe:[1234]`: stop at the descriptor, which stat and open follow themselves.
    if (standardStream(path) || FD_PATH.test(path)) return path;
    let link: string;
    try {
      link = readlinkSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // EINVAL: not a link; ENOENT: nothing there yet (its folder is checked later).
      if (code === 'EINVAL' || code === 'ENOENT' || code === 'ENOTDIR') return path;
      refuse(given, `cannot be read (${reason(e)})`);
    }
    path = isAbsolute(link) ? link : resolve(dirname(path), link);
  }
  refuse(given, 'too many symbolic links (a loop?)');
}

/**
 * Checks that `given` can receive a result, before any work is done, and says how to write it.
 * `inputs` are the files the command reads: writing over one of them is refused. Problems are
 * InputErrors on `--out` (exit 2) naming `given`.
 */
export function checkOutput(given: string, inputs: readonly string[] = []): OutputTarget {
  if (given === '') refuse('""', 'expected a file name');
  const absolute = resolve(given);
  const target = followLinks(absolute, given);
  const std = standardStream(target);
  if (std) return { given, target, kind: std, mode: undefined };
  let st: Stats | undefined;
  try {
    st = statOrUndefined(target);
  } catch (e) {
    refuse(given, `cannot be written (${reason(e)})`);
  }
  if (st) {
    for (const input of inputs) {
      const s = statOrUndefined(resolve(input));
      if (s && s.dev === st.dev && s.ino === st.ino) refuse(given, `is the scenario file ${input} this command reads; write the result somewhere else`);
    }
    if (st.isDirectory()) refuse(given, 'is a folder; give the name of a file in it');
    if (st.isFIFO() || st.isCharacterDevice()) {
      try {
        accessSync(target, constants.W_OK);
      } catch (e) {
        refuse(given, `cannot be written (${reason(e)})`);
      }
      return { given, target, kind: 'stream', mode: undefined };
    }
    if (st.isSocket()) return { given, target, kind: 'socket', mode: undefined };
    if (!st.isFile()) refuse(given, 'is neither a file nor a stream (a block device?); give the name of a file');
    try {
      accessSync(target, constants.W_OK);
    } catch (e) {
      refuse(given, `cannot be written (${reason(e)})`);
    }
    return { given, target, kind: 'file', mode: st.mode & 0o7777 };
  }
  const folder = dirname(target);
  let dirStat: Stats | undefined;
  try {
    dirStat = statOrUndefined(folder);
  } catch (e) {
    refuse(given, `its folder ${dirname(given)} cannot be used (${reason(e)})`);
  }
  if (!dirStat) refuse(given, `the folder ${dirname(given)} does not exist; create it first`);
  if (!dirStat.isDirectory()) refuse(given, `${dirname(given)} is not a folder`);
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch (e) {
    refuse(given, `cannot create a file in ${dirname(given)} (${reason(e)})`);
  }
  return { given, target, kind: 'file', mode: undefined };
}

/** Writes `text` to a checked target. A failure is a RuntimeError (exit 1) naming the user's path. */
export async function writeOutput(out: OutputTarget, text: string): Promise<void> {
  const fail = (e: unknown): never => {
    throw new RuntimeError(`cannot write ${out.given}: ${reason(e)}`);
  };
  switch (out.kind) {
    case 'stdout':
    case 'stderr':
      await new Promise<void>((done, failed) => process[out.kind as 'stdout' | 'stderr'].write(text, (e) => (e ? failed(e) : done()))).catch(fail);
      return;
    case 'stream':
      try {
        writeFileSync(out.target, text);
      } catch (e) {
        fail(e);
      }
      return;
    case 'socket':
      await new Promise<void>((done, failed) => {
        const socket = createConnection(out.target);
        socket.once('error', failed);
        socket.once('connect', () => socket.end(text, () => done()));
      }).catch(fail);
      return;
    case 'file':
      writeFileAtomically(out, text, fail);
  }
}

/**
 * Writes beside the target, then renames over it, so the target holds the old result or the new
 * one, never a part. When the folder does not allow a new file but the file itself is writable,
 * writes the file in place.
 */
function writeFileAtomically(out: OutputTarget, text: string, fail: (e: unknown) => never): void {
  const tmp = join(dirname(out.target), `.${basename(out.target)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === 'EACCES' || code === 'EPERM' || code === 'EROFS') && out.mode !== undefined) {
      try {
        writeFileSync(out.target, text);
        return;
      } catch (e2) {
        fail(e2);
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was created */
    }
    fail(e);
  }
  try {
    if (out.mode !== undefined) chmodSync(tmp, out.mode);
    renameSync(tmp, out.target);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    fail(e);
  }
}

/**
 * Writes `text` atomically to a checked regular-file target, synchronously (a checkpoint written
 * between chunks of a run). A failure is a RuntimeError naming the user's path.
 */
export function writeFileOutputSync(out: OutputTarget, text: string): void {
  const fail = (e: unknown): never => {
    throw new RuntimeError(`cannot write ${out.given}: ${reason(e)}`);
  };
  if (out.kind !== 'file') fail(new Error('a checkpoint must be a regular file'));
  writeFileAtomically(out, text, fail);
}
