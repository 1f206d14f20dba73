/**
 * The `occlum` module's POSIX message queues, for sdk/libc/mqueue.c (wasix-libc declares mq_*
 * without defining them); ipc/mqueue.ts keeps the queues. Each row checks in Linux's order
 * (ipc/mqueue.c), and a pointer the kernel cannot copy is EFAULT (NULL too), never a trap:
 * - mq_open(name*, oflag, mode, attr*) -> fd: the name with its slash (EINVAL without), oflag in
 *   Linux's bits (O_ACCMODE 3, O_CREAT 0x40, O_EXCL 0x80, O_NONBLOCK 0x800), attr* a 32-bit
 *   program's struct mq_attr (8 x i32: flags, maxmsg, msgsize, curmsgs, reserved; 0: the
 *   defaults); the descriptor is always FD_CLOEXEC, as Linux makes it;
 * - mq_unlink(name*);
 * - mq_timedsend(fd, msg*, len, prio, abs_timeout*), mq_timedreceive(fd, buf*, len, prio*,
 *   abs_timeout*) -> length: abs_timeout* a struct timespec (i64 tv_sec, i32 tv_nsec) on
 *   CLOCK_REALTIME, 0 for none; checked first (EINVAL, EFAULT) even when the call would not wait,
 *   as Linux does; a wait interrupted by a handler restarts under SA_RESTART (the deadline is
 *   absolute);
 * - mq_getsetattr(fd, nonblock, out*): nonblock 0 or 1 sets O_NONBLOCK (any other value: left
 *   alone); out* gets the attributes before, 4 x i32 (O_NONBLOCK as 0/1, maxmsg, msgsize, curmsgs);
 * - mq_notify(fd, notify, signo, value) -> token: SIGEV_SIGNAL (signal 0: none sent), SIGEV_NONE,
 *   SIGEV_THREAD (the token a thread of the libc then waits on with mq_notify_wait), 0xffffffff
 *   to remove the caller's registration;
 * - mq_notify_wait(token): until the registration fires (0) or goes without firing (ECANCELED).
 * EBADF for a descriptor that is not a queue, or not open for the direction.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { EINTR_ERROR, Errno, sysErr } from "../errno.ts";
import { Rights } from "../abi.ts";
import type { GuestMemory } from "../memory.ts";
import { FdFlags } from "../../fs/types.ts";
import type { Thread } from "../../process/thread.ts";
import type { Process } from "../../process/process.ts";
import { getRlimit, Rlimit } from "../../process/rlimits.ts";
import { SigCode, signalProcess } from "../../process/signals.ts";
import { MQ_PRIO_MAX, MqFile, MqNotify, type MqAttr, type MqMessage, type MqRegistration, type MqWait } from "../../ipc/mqueue.ts";
import { WaitQueue } from "../../sched/wait-queue.ts";
import { nowMs, realtimeNs } from "../../sched/clock.ts";
import { kernelMqNamespace } from "../../ipc/mqueue-fs.ts";

const O_ACCMODE = 3;
const O_CREAT = 0x40;
const O_EXCL = 0x80;
const O_NONBLOCK = 0x800;
const PATH_MAX = 4096;
const SCHED_FIFO = 1;
const SCHED_RR = 2;
/** Signals mq_notify takes (Linux's valid_signal: 0..64). */
const SIG_MAX = 64;
const REMOVE = 0xffff_ffff;
/** Host timers take at most 2^31-1 ms; a deadline further away waits without one. */
const MAX_WAIT_MS = 2 ** 31 - 1;
const BASE_RIGHTS = Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET | Rights.FD_SEEK | Rights.FD_TELL;

function memOf(t: Thread): GuestMemory {
  const m = t.process.memory;
  if (!m) throw sysErr(Errno.FAULT);
  m.refresh();
  return m;
}

/** EFAULT unless [ptr, ptr+len) is in memory (NULL is EFAULT, as on Linux; nothing to copy is fine). */
function userRange(m: GuestMemory, ptr: number, len: number): void {
  if (len === 0) return;
  if (ptr === 0) throw sysErr(Errno.FAULT);
  try {
    m.check(ptr, len);
  } catch {
    throw sysErr(Errno.FAULT);
  }
}

/** A queue's name as Linux's getname reads it (EFAULT, ENAMETOOLONG past PATH_MAX), then the libc's slash (EINVAL); returns what follows it. */
function readName(m: GuestMemory, ptr: number): string {
  userRange(m, ptr, 1); // also sees a shared memory grown since the view was made
  const end = Math.min(m.byteLength, ptr + PATH_MAX);
  let i = ptr;
  while (i < end && m.u8[i] !== 0) i++;
  if (i === end) throw sysErr(end - ptr === PATH_MAX ? Errno.NAMETOOLONG : Errno.FAULT);
  if (m.u8[ptr] !== 0x2f) throw sysErr(Errno.INVAL, "mq name without a leading slash");
  return String.fromCharCode(...m.u8.subarray(ptr + 1, i)); // bytes as they are: names need not be UTF-8
}

/** An absolute CLOCK_REALTIME timeout as a nowMs() deadline; undefined: none. */
function deadlineOf(m: GuestMemory, ptr: number): number | undefined {
  if (ptr === 0) return undefined;
  userRange(m, ptr, 16);
  const sec = m.dv.getBigInt64(ptr, true);
  const nsec = m.dv.getInt32(ptr + 8, true);
  if (sec < 0n || nsec < 0 || nsec >= 1e9) throw sysErr(Errno.INVAL, "timespec");
  const leftMs = Number(sec * 1_000_000_000n + BigInt(nsec) - realtimeNs()) / 1e6;
  return leftMs > MAX_WAIT_MS ? undefined : nowMs() + leftMs;
}

/** Linux's task prio, which orders a queue's waiters: 99 - priority under SCHED_FIFO/SCHED_RR, else 120 + nice. */
function waitOf(t: Thread, deadlineMs: number | undefined): MqWait {
  const rt = t.schedPolicy === SCHED_FIFO || t.schedPolicy === SCHED_RR;
  return { intr: t, rank: rt ? 99 - t.schedPriority : 120 + t.nice, deadlineMs };
}

function mqOf(t: Thread, fd: number): MqFile {
  const f = t.process.fds.get(fd).file;
  if (!(f instanceof MqFile)) throw sysErr(Errno.BADF, "not a message queue");
  return f;
}

function namespaceOf(t: Thread) {
  return kernelMqNamespace(t.process.kernel);
}

function occlum_mq_open(t: Thread, namePtr: number, oflag: number, mode: number, attrPtr: number): number {
  const m = memOf(t);
  const name = readName(m, namePtr);
  let attr: MqAttr | undefined;
  if (attrPtr !== 0) {
    userRange(m, attrPtr, 32);
    attr = { maxmsg: m.dv.getInt32(attrPtr + 4, true), msgsize: m.dv.getInt32(attrPtr + 8, true) };
  }
  if (name === "") throw sysErr(Errno.NOENT);
  const p = t.process;
  if (!p.fds.hasFree()) throw sysErr(Errno.MFILE);
  const acc = oflag & O_ACCMODE;
  if (acc === O_ACCMODE) throw sysErr(Errno.INVAL, "O_ACCMODE");
  const q = namespaceOf(t).open(name, (oflag & O_CREAT) !== 0, (oflag & O_EXCL) !== 0, mode, attr, getRlimit(p, Rlimit.MSGQUEUE).cur);
  const file = new MqFile(q, acc !== 1, acc !== 0, (oflag & O_NONBLOCK) !== 0 ? FdFlags.NONBLOCK : 0, name);
  const rights = BASE_RIGHTS | (file.readable ? Rights.FD_READ : 0) | (file.writable ? Rights.FD_WRITE : 0);
  return p.fds.insert(file, rights, 0, { cloexec: true });
}

function occlum_mq_unlink(t: Thread, namePtr: number): void {
  namespaceOf(t).unlink(readName(memOf(t), namePtr));
}

function occlum_mq_timedsend(t: Thread, fd: number, msgPtr: number, len: number, prio: number, tsPtr: number): void | Promise<void> {
  const m = memOf(t);
  const deadline = deadlineOf(m, tsPtr);
  if (prio >= MQ_PRIO_MAX) throw sysErr(Errno.INVAL, "priority");
  const f = mqOf(t, fd);
  if (!f.writable) throw sysErr(Errno.BADF);
  if (len > f.queue.msgsize) throw sysErr(Errno.MSGSIZE);
  userRange(m, msgPtr, len);
  const msg: MqMessage = { prio, data: m.u8.slice(msgPtr, msgPtr + len) };
  return f.queue.send(msg, f.nonblocking, t.process.pid, waitOf(t, deadline));
}

function occlum_mq_timedreceive(t: Thread, fd: number, bufPtr: number, len: number, prioPtr: number, tsPtr: number): number | Promise<number> {
  const deadline = deadlineOf(memOf(t), tsPtr);
  const f = mqOf(t, fd);
  if (!f.readable) throw sysErr(Errno.BADF);
  if (len < f.queue.msgsize) throw sysErr(Errno.MSGSIZE);
  const r = f.queue.receive(f.nonblocking, waitOf(t, deadline));
  return r instanceof Promise ? r.then((msg) => copyOut(t, msg, bufPtr, prioPtr)) : copyOut(t, r, bufPtr, prioPtr);
}

/** The message taken to the caller; a copy that fails is EFAULT and the message is lost, as on Linux. */
function copyOut(t: Thread, msg: MqMessage, bufPtr: number, prioPtr: number): number {
  const m = memOf(t);
  if (prioPtr !== 0) {
    userRange(m, prioPtr, 4);
    m.dv.setUint32(prioPtr, msg.prio, true);
  }
  userRange(m, bufPtr, msg.data.byteLength);
  m.u8.set(msg.data, bufPtr);
  return msg.data.byteLength;
}

function occlum_mq_getsetattr(t: Thread, fd: number, nonblock: number, outPtr: number): void {
  const f = mqOf(t, fd);
  const was = f.nonblocking ? 1 : 0;
  if (nonblock === 1) f.flags |= FdFlags.NONBLOCK;
  else if (nonblock === 0) f.flags &= ~FdFlags.NONBLOCK;
  if (outPtr === 0) return;
  const m = memOf(t);
  userRange(m, outPtr, 16);
  const q = f.queue;
  m.dv.setInt32(outPtr, was, true);
  m.dv.setInt32(outPtr + 4, q.maxmsg, true);
  m.dv.setInt32(outPtr + 8, q.msgsize, true);
  m.dv.setInt32(outPtr + 12, q.curmsgs, true);
}

/** SIGEV_THREAD's registration as the libc's notifying thread waits for it. */
interface NotifyThread {
  state: "armed" | "fired" | "removed";
  readonly wake: WaitQueue;
}

const notifyThreads = new WeakMap<Process, { next: number; byId: Map<number, NotifyThread> }>();

function occlum_mq_notify(t: Thread, fd: number, notify: number, signo: number, value: number): number {
  if (notify !== REMOVE) {
    if (notify !== MqNotify.SIGNAL && notify !== MqNotify.NONE && notify !== MqNotify.THREAD) throw sysErr(Errno.INVAL, "sigev_notify");
    if (notify === MqNotify.SIGNAL && signo > SIG_MAX) throw sysErr(Errno.INVAL, "signal");
  }
  const q = mqOf(t, fd).queue;
  const p = t.process;
  if (notify === REMOVE) {
    q.setNotification(p, undefined);
    return 0;
  }
  const base = { owner: p, notify, signo: notify === MqNotify.SIGNAL ? signo : 0 };
  if (notify !== MqNotify.THREAD) {
    const fire = notify === MqNotify.SIGNAL && signo !== 0
      ? (sender: number) => signalProcess(p, signo, undefined, { code: SigCode.MESGQ, pid: sender, status: 0, value })
      : () => {};
    q.setNotification(p, { ...base, fire, cancel: () => {} });
    return 0;
  }
  const nt: NotifyThread = { state: "armed", wake: new WaitQueue() };
  const settle = (state: NotifyThread["state"]) => () => {
    nt.state = state;
    nt.wake.notifyAll();
  };
  const reg: MqRegistration = { ...base, fire: settle("fired"), cancel: settle("removed") };
  q.setNotification(p, reg);
  let table = notifyThreads.get(p);
  if (!table) notifyThreads.set(p, (table = { next: 1, byId: new Map() }));
  const id = table.next++;
  table.byId.set(id, nt);
  return id;
}

async function occlum_mq_notify_wait(t: Thread, id: number): Promise<void> {
  const table = notifyThreads.get(t.process);
  const nt = table?.byId.get(id);
  if (!table || !nt) throw sysErr(Errno.INVAL);
  while (nt.state === "armed") {
    if ((await nt.wake.wait({ intr: t })) === "interrupted") throw EINTR_ERROR;
  }
  table.byId.delete(id);
  if (nt.state !== "fired") throw sysErr(Errno.CANCELED);
}

const B = { blocking: true } as const;

export const occlumMqueueRows: readonly SyscallRow[] = [
  row("mq_open", [A.u32, A.u32, A.u32, A.u32], R.fd, occlum_mq_open, { note: "name* (with its slash), oflag (Linux's O_ACCMODE, O_CREAT, O_EXCL, O_NONBLOCK), mode, attr* (8 x i32; 0: defaults 10 x 8192) -> fd (FD_CLOEXEC); bounds msg_max 10, msgsize_max 8192, RLIMIT_MSGQUEUE" }),
  row("mq_unlink", [A.u32], R.none, occlum_mq_unlink, { note: "name*: the name goes, open descriptors keep the queue" }),
  row("mq_timedsend", [A.fd, A.u32, A.u32, A.u32, A.u32], R.none, occlum_mq_timedsend, { ...B, note: "fd, msg*, len, prio (< 32768), abs_timeout* (CLOCK_REALTIME timespec; 0: none); EAGAIN when full and O_NONBLOCK, ETIMEDOUT, EMSGSIZE, EBADF" }),
  row("mq_timedreceive", [A.fd, A.u32, A.u32, A.u32, A.u32], R.size, occlum_mq_timedreceive, { ...B, note: "fd, buf*, len (>= msgsize), prio* (0: none), abs_timeout* -> length; highest priority first, FIFO within one" }),
  row("mq_getsetattr", [A.fd, A.u32, A.u32], R.none, occlum_mq_getsetattr, { note: "fd, nonblock (0/1; other: unchanged), old* (4 x i32: O_NONBLOCK 0/1, maxmsg, msgsize, curmsgs)" }),
  row("mq_notify", [A.fd, A.u32, A.u32, A.u32], R.size, occlum_mq_notify, { note: "fd, sigev_notify (SIGNAL, NONE, THREAD; 0xffffffff: remove), signo, si_value -> SIGEV_THREAD token; EBUSY while registered; SI_MESGQ" }),
  row("mq_notify_wait", [A.u32], R.none, occlum_mq_notify_wait, { ...B, note: "SIGEV_THREAD: until the registration fires; ECANCELED when it went without firing" }),
];
