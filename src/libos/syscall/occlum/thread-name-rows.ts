/**
 * The `occlum` module's thread names, for sdk/libc/threads.c (pthread_setname_np and
 * pthread_getname_np, which did nothing and were missing in wasix-libc) and sdk/libc/prctl.c
 * (PR_SET_NAME/PR_GET_NAME): a thread's name is the kernel's (Thread.comm, Linux's comm), so
 * /proc/<pid>/task/<tid>/comm shows it and a write there renames the thread. At most 15 bytes,
 * cut at a NUL; a new thread starts with its creator's (process.ts newThread). tid 0 is the
 * caller; a tid that is not a live thread of the caller's process is ESRCH.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import type { Thread } from "../../process/thread.ts";
import { commFromBytes } from "../../process/process.ts";

function target(t: Thread, tid: number): Thread {
  if (tid === 0) return t;
  for (const x of t.process.threads) if (x.tid === tid && !x.killed) return x;
  throw sysErr(Errno.SRCH);
}

function occlum_thread_name_set(t: Thread, tid: number, name: Uint8Array): void {
  target(t, tid).comm = commFromBytes(name);
}

/** Writes the name and a NUL into `buf` (EINVAL if they do not fit); returns the name's length. */
function occlum_thread_name_get(t: Thread, tid: number, buf: Uint8Array): number {
  const name = Buffer.from(target(t, tid).comm);
  if (buf.length < name.length + 1) throw sysErr(Errno.INVAL);
  buf.set(name);
  buf[name.length] = 0;
  return name.length;
}

export const occlumThreadNameRows: readonly SyscallRow[] = [
  row("thread_name_set", [A.u32, A.buf], R.none, occlum_thread_name_set, { note: "tid (0: caller), name: its comm, at most 15 bytes (cut at a NUL)" }),
  row("thread_name_get", [A.u32, A.buf], R.size, occlum_thread_name_get, { note: "tid (0: caller), buffer: its comm and a NUL; returns the name's length" }),
];
