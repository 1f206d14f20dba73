/** Small helpers for the fs unit tests (not shipped in the LibOS path). */
import assert from "node:assert/strict";
import { SysError, errnoName } from "../../syscall/errno.ts";
import { OFlags, type OpenFile, type OpenOptions, type Vfs } from "../types.ts";

export const RD: OpenOptions = { oflags: 0, fdflags: 0, read: true, write: false, followSymlinks: true };
export const WR: OpenOptions = { oflags: 0, fdflags: 0, read: true, write: true, followSymlinks: true };
export const CREAT: OpenOptions = { oflags: OFlags.CREAT, fdflags: 0, read: true, write: true, followSymlinks: true };
export const DIR: OpenOptions = { oflags: OFlags.DIRECTORY, fdflags: 0, read: true, write: false, followSymlinks: true };

export function opts(o: Partial<OpenOptions>): OpenOptions {
  return { ...RD, ...o };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export async function writeFile(vfs: Vfs, dir: OpenFile, path: string, text: string | Uint8Array): Promise<void> {
  const f = await vfs.open(dir, path, { ...CREAT, oflags: OFlags.CREAT | OFlags.TRUNC });
  await f.write([typeof text === "string" ? enc.encode(text) : text]);
  await f.release();
}

export async function readAll(f: OpenFile): Promise<string> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const buf = new Uint8Array(4096);
    const n = await f.read([buf]);
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
  }
  return dec.decode(Buffer.concat(chunks));
}

export async function readFile(vfs: Vfs, dir: OpenFile, path: string): Promise<string> {
  const f = await vfs.open(dir, path, RD);
  try {
    return await readAll(f);
  } finally {
    await f.release();
  }
}

export async function names(f: OpenFile): Promise<string[]> {
  const entries = await f.readdir(0n);
  return entries.map((e) => e.name).sort();
}

/** Assert that `p` rejects (or `fn` throws) with the given errno name, e.g. "ENOENT". */
export async function rejectsErrno(p: Promise<unknown> | (() => unknown), name: string): Promise<void> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (e instanceof SysError) {
      assert.equal(errnoName(e.errno), name, `expected ${name}, got ${e.message}`);
      return;
    }
    throw e;
  }
  assert.fail(`expected ${name}, but it succeeded`);
}
