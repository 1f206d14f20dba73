/**
 * Test-only stand-ins for the syscall layer's blocking helper: retry an operation that throws
 * EAGAIN_ERROR after the file's wait queue fires (what syscall/blocking does for a thread).
 */
import { Ready, type OpenFile } from "../fs/types.ts";
import { EAGAIN_ERROR, Errno, SysError } from "../syscall/errno.ts";
import { waitAny } from "../sched/wait-queue.ts";
import type { KernelSocket, SockAddr } from "./types.ts";
import { nowMs } from "../sched/clock.ts";

type Maybe<T> = T | Promise<T>;

export async function blocking<T>(file: OpenFile, interest: number, op: () => Maybe<T>, timeoutMs = 10_000): Promise<T> {
  const deadlineMs = nowMs() + timeoutMs;
  for (;;) {
    try {
      return await op();
    } catch (e) {
      if (e !== EAGAIN_ERROR) throw e;
    }
    if ((file.poll() & (interest | Ready.ERR | Ready.HUP)) !== 0) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    const q = file.waitQueue;
    if (!q) throw new Error("no wait queue");
    if ((await waitAny([q], { deadlineMs })) === "timeout") throw new Error("blocking op timed out");
  }
}

/** A blocking connect: EINPROGRESS, then wait for the result. */
export async function connectBlocking(s: KernelSocket, addr: SockAddr): Promise<void> {
  try {
    await s.connect(addr);
    return;
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== Errno.INPROGRESS) throw e;
  }
  await blocking(s, Ready.OUT, () => s.finishConnect());
}

export function acceptBlocking(s: KernelSocket): Promise<KernelSocket> {
  return blocking(s, Ready.IN, () => s.accept());
}

/** Read until `n` bytes or EOF. */
export async function readAll(s: KernelSocket, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let off = 0;
  while (off < n) {
    const r = await blocking(s, Ready.IN, () => s.read([out.subarray(off)]));
    if (r === 0) break;
    off += r;
  }
  return out.subarray(0, off);
}

/** Write all of `data` (the caller loop of a blocking write). */
export async function writeAll(s: KernelSocket, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.byteLength) off += await blocking(s, Ready.OUT, () => s.write([data.subarray(off)]));
}

export function errnoOfError(e: unknown): number | undefined {
  return e instanceof SysError ? e.errno : undefined;
}

export function expectErrno(errno: Errno): (e: unknown) => boolean {
  return (e: unknown) => e instanceof SysError && e.errno === errno;
}
