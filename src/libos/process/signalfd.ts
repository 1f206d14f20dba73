/**
 * signalfd(2): the signals of a mask, taken by reading a file descriptor instead of by a handler,
 * as Linux has them (fs/signalfd.c, as signalfd(2) documents them):
 *   read   128-byte struct signalfd_siginfo records, as many as fit and are pending (EINVAL for a
 *          buffer under 128 bytes): each takes the lowest pending signal of the mask that the
 *          reading thread may take (its own, or the process's), as sigtimedwait does; EAGAIN while
 *          there is none (blocking is the kernel's, as for pipes)
 *   poll   readable while a signal of the mask is pending in the process
 *   write  EINVAL
 * The signals must be blocked to stay pending (else their action runs as usual); SIGKILL and
 * SIGSTOP are never in the mask. Readers wake when a signal becomes pending (signals.ts
 * onSignalPending). Readiness is the creating process's; a read takes the reader's signals.
 */
import { EAGAIN_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { FileBase } from "../fs/file-base.ts";
import { scatter } from "../fs/vfs/seekable.ts";
import { FileType, Ready, type Stat } from "../fs/types.ts";
import { WaitQueue } from "../sched/wait-queue.ts";
import type { Process } from "./process.ts";
import type { Thread } from "./thread.ts";
import { onSignalPending, pendingIn, SigCode, takePending, type SigTaken } from "./signals.ts";

const RECORD = 128;
/** SIGKILL and SIGSTOP cannot be taken this way (Linux drops them from the mask). */
const UNTAKEABLE = (1n << 8n) | (1n << 18n);
const SIGCHLD = 17;

const byProcess = new WeakMap<Process, Set<SignalFd>>();

onSignalPending((p) => {
  for (const f of byProcess.get(p) ?? []) f.waitQueue.notifyAll();
});

export class SignalFd extends FileBase {
  readonly waitQueue = new WaitQueue();
  private readonly process: Process;
  private mask: bigint;

  constructor(p: Process, mask: bigint, flags: number) {
    super(FileType.UNKNOWN, { readable: true, writable: true, flags, path: "anon_inode:[signalfd]" });
    this.process = p;
    this.mask = mask & ~UNTAKEABLE;
    let set = byProcess.get(p);
    if (!set) byProcess.set(p, (set = new Set()));
    set.add(this);
  }

  /** signalfd(fd, mask, ...) on an existing descriptor: a new mask. */
  setMask(mask: bigint): void {
    this.mask = mask & ~UNTAKEABLE;
    this.waitQueue.notifyAll();
  }

  override read(): number {
    throw sysErr(Errno.INVAL, "signalfd read without a reader");
  }

  readAs(reader: object, iovs: Uint8Array[]): number {
    const t = reader as Thread;
    let room = 0;
    for (const v of iovs) room += v.byteLength;
    if (room < RECORD) throw sysErr(Errno.INVAL, "signalfd read of less than 128 bytes");
    const records: Uint8Array[] = [];
    while (room - records.length * RECORD >= RECORD) {
      const got = takePending(t, this.mask);
      if (!got) break;
      records.push(encode(got));
    }
    if (records.length === 0) throw EAGAIN_ERROR;
    scatter(iovs, Buffer.concat(records));
    return records.length * RECORD;
  }

  override write(): number {
    throw sysErr(Errno.INVAL, "signalfd has no write");
  }

  override poll(): number {
    return pendingIn(this.process, this.mask) ? Ready.IN : 0;
  }

  override stat(): Stat {
    return { ...(super.stat() as Stat), size: 0n };
  }

  override release(): void {
    byProcess.get(this.process)?.delete(this);
  }
}

/** struct signalfd_siginfo: how the signal was sent, in Linux's layout. */
function encode({ signo, info }: SigTaken): Uint8Array {
  const b = new Uint8Array(RECORD);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, signo, true); // ssi_signo
  dv.setInt32(8, info.code, true); // ssi_code
  if (info.code === SigCode.TIMER) {
    dv.setInt32(24, info.pid, true); // ssi_tid: the timer's id
    dv.setUint32(32, info.status, true); // ssi_overrun
  } else {
    dv.setUint32(12, info.pid, true); // ssi_pid
  }
  if (signo === SIGCHLD) dv.setInt32(40, info.status, true); // ssi_status
  const value = info.value ?? 0;
  dv.setInt32(44, value, true); // ssi_int
  dv.setBigUint64(48, BigInt(value >>> 0), true); // ssi_ptr
  return b;
}
