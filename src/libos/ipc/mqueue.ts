/**
 * POSIX message queues (mq_overview(7)), with Linux's semantics (ipc/mqueue.c):
 *   namespace  one per kernel (Linux: per IPC namespace; every process of an instance shares it),
 *              names without their leading slash; a queue lives while it has a name or an open
 *              descriptor (mq_unlink removes the name only)
 *   messages   highest priority first (0..MQ_PRIO_MAX-1), FIFO within a priority; at most
 *              `maxmsg` of at most `msgsize` bytes each, copied in at send
 *   blocking   a full queue blocks senders, an empty one receivers, served by the caller's priority
 *              (Linux's task prio: real-time policies first, then by nice value), then in arrival
 *              order (Linux's wq_add). A send to a queue
 *              with a receiver waiting hands the message to the receiver directly, and a receive
 *              from a full queue with a sender waiting takes that sender's message in (Linux's
 *              pipelined_send/pipelined_receive): no other caller can overtake a waiter
 *   notify     one registration per queue (EBUSY for any other, the owner included): fired when a
 *              message is put on an empty queue (not when it goes to a waiting receiver), then
 *              removed; also removed when the owner closes any descriptor of the queue (Linux's
 *              flush), at its exit too
 *   limits     an unprivileged process's, from /proc/sys/fs/mqueue (MQ_LIMITS): every process
 *              here is uid 0, but Linux's root-only bounds (65536 messages of 16 MiB) would let
 *              one guest hold the kernel heap; the bytes of all queues count against the
 *              creator's RLIMIT_MSGQUEUE as Linux counts them per user (EMFILE past it)
 * Messages are charged to the kernel heap (`MemCharge`) while queued (ENOMEM when refused).
 * Code between awaits is atomic: a waiter's `ready` is set by the one that hands it its message,
 * and a waiter that timed out or was interrupted leaves the list before anyone else runs, unless
 * it was handed a message first (then it returns that message, as Linux's wq_sleep does).
 */
import { EAGAIN_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { ERESTARTSYS } from "../syscall/blocking.ts";
import { FileBase } from "../fs/file-base.ts";
import { scatter } from "../fs/vfs/seekable.ts";
import { FdFlags, FileType, Ready, Whence, type Stat } from "../fs/types.ts";
import { WaitQueue, type Interruptible } from "../sched/wait-queue.ts";
import { nowMs, realtimeNs } from "../sched/clock.ts";
import type { MemCharge } from "./byte-ring.ts";

export const MQ_PRIO_MAX = 32768;
const NAME_MAX = 255;
/** /proc/sys/fs/mqueue's msg_max, msgsize_max, msg_default, msgsize_default and queues_max. */
export const MQ_LIMITS = { msgMax: 10, msgsizeMax: 8192, msgDefault: 10, msgsizeDefault: 8192, queuesMax: 256 } as const;
/** What Linux counts per message slot against RLIMIT_MSGQUEUE: struct msg_msg and posix_msg_tree_node (x86-64). */
const SLOT_BYTES = 48;
const NODE_BYTES = 48;
/** The size of the text a read of the queue's descriptor gives (Linux's FILENT_SIZE, st_size). */
export const FILENT_SIZE = 80;
/** sigev_notify values mq_notify takes. */
export const MqNotify = { SIGNAL: 0, NONE: 1, THREAD: 2 } as const;

export interface MqMessage {
  readonly prio: number;
  readonly data: Uint8Array;
}

/** A blocked sender or receiver (Linux's ext_wait_queue): handed its message directly. */
interface Waiter {
  readonly wake: WaitQueue;
  readonly rank: number;
  msg: MqMessage | undefined;
  ready: boolean;
}

export interface NotifyOwner {
  readonly pid: number;
}

/** A process's mq_notify registration; `fire` notifies it (a signal, or the SIGEV_THREAD waiter). */
export interface MqRegistration {
  readonly owner: NotifyOwner;
  readonly notify: number;
  readonly signo: number;
  fire(senderPid: number): void;
  /** The registration went without a notification (mq_notify(NULL), a close, the owner's exit). */
  cancel(): void;
}

/** How a caller waits: interruptible, its Linux task prio (lower is served first), a nowMs() deadline or none. */
export interface MqWait {
  readonly intr: Interruptible;
  readonly rank: number;
  readonly deadlineMs: number | undefined;
}

export interface MqAttr {
  readonly maxmsg: number;
  readonly msgsize: number;
}

/** The queues of one kernel. */
export class MqNamespace {
  private readonly names = new Map<string, MessageQueue>();
  /** Queues that exist (named, or unlinked and still open) and the bytes they count (RLIMIT_MSGQUEUE). */
  count = 0;
  bytes = 0;
  readonly mem: MemCharge | undefined;
  /** Inode numbers for /dev/mqueue (1 is its root). */
  private nextIno = 2n;

  constructor(mem?: MemCharge) {
    this.mem = mem;
  }

  /**
   * mq_open's lookup and creation (the name without its slash; the caller has checked that a
   * descriptor is free, as Linux takes one first). `attr` undefined: the defaults.
   */
  open(name: string, create: boolean, excl: boolean, mode: number, attr: MqAttr | undefined, rlimitBytes: bigint): MessageQueue {
    checkName(name);
    const found = this.names.get(name);
    if (found) {
      if (create && excl) throw sysErr(Errno.EXIST);
      return found;
    }
    if (!create) throw sysErr(Errno.NOENT);
    const a = attr ?? { maxmsg: MQ_LIMITS.msgDefault, msgsize: MQ_LIMITS.msgsizeDefault };
    if (a.maxmsg <= 0 || a.msgsize <= 0 || a.maxmsg > MQ_LIMITS.msgMax || a.msgsize > MQ_LIMITS.msgsizeMax) throw sysErr(Errno.INVAL, "mq_attr");
    if (this.count >= MQ_LIMITS.queuesMax) throw sysErr(Errno.NOSPC, "queues_max");
    const cost = a.maxmsg * SLOT_BYTES + Math.min(a.maxmsg, MQ_PRIO_MAX) * NODE_BYTES + a.maxmsg * a.msgsize;
    if (BigInt(this.bytes + cost) > rlimitBytes) throw sysErr(Errno.MFILE, "RLIMIT_MSGQUEUE");
    const q = new MessageQueue(this, a, mode & 0o7777, cost, this.nextIno++);
    this.count++;
    this.bytes += cost;
    this.names.set(name, q);
    return q;
  }

  /** The named queues (/dev/mqueue's entries), in creation order. */
  entries(): IterableIterator<[string, MessageQueue]> {
    return this.names.entries();
  }

  /** The queue named `name`, if any (no name checks: the VFS has made it one component). */
  lookup(name: string): MessageQueue | undefined {
    return this.names.get(name);
  }

  /** mq_unlink: the name goes; the queue stays while descriptors are open. */
  unlink(name: string): void {
    checkName(name);
    const q = this.names.get(name);
    if (!q) throw sysErr(Errno.NOENT);
    this.names.delete(name);
    q.unlinked();
  }
}

/** Linux's lookup of a name (after the slash the libc checks): EACCES for a slash, "." or ".."; ENAMETOOLONG past NAME_MAX. */
function checkName(name: string): void {
  if (name === "") throw sysErr(Errno.NOENT);
  if (name.includes("/") || name === "." || name === "..") throw sysErr(Errno.ACCES, "mq name");
  if (name.length > NAME_MAX) throw sysErr(Errno.NAMETOOLONG);
}

export class MessageQueue {
  readonly maxmsg: number;
  readonly msgsize: number;
  readonly mode: number;
  /** Its inode number in /dev/mqueue, and when it was made (ns since the epoch). */
  readonly ino: bigint;
  readonly createdNs = realtimeNs();
  /** Woken when the queue goes from full or empty to neither (poll, select, epoll). */
  readonly pollers = new WaitQueue();
  private readonly ns: MqNamespace;
  private readonly cost: number;
  /** Highest priority first, FIFO within one. */
  private readonly msgs: MqMessage[] = [];
  /** Bytes of the queued messages (QSIZE). */
  private qsize = 0;
  private readonly senders: Waiter[] = [];
  private readonly receivers: Waiter[] = [];
  private registration: MqRegistration | undefined = undefined;
  private opens = 0;
  private named = true;

  constructor(ns: MqNamespace, attr: MqAttr, mode: number, cost: number, ino: bigint) {
    this.ns = ns;
    this.ino = ino;
    this.maxmsg = attr.maxmsg;
    this.msgsize = attr.msgsize;
    this.mode = mode;
    this.cost = cost;
  }

  get curmsgs(): number {
    return this.msgs.length;
  }

  get linked(): boolean {
    return this.named;
  }

  /**
   * mq_timedsend of a message already checked against msgsize and copied (the caller holds no
   * view of guest memory); `wait` says how the caller waits while the queue is full.
   */
  send(msg: MqMessage, nonblock: boolean, senderPid: number, wait: MqWait): void | Promise<void> {
    const mem = this.ns.mem;
    if (mem && !mem.charge(msg.data.byteLength)) throw sysErr(Errno.NOMEM, "kernel heap budget exhausted");
    if (this.msgs.length === this.maxmsg) {
      if (nonblock) {
        mem?.uncharge(msg.data.byteLength);
        throw EAGAIN_ERROR;
      }
      return this.sleep(this.senders, { wake: new WaitQueue(), rank: wait.rank, msg, ready: false }, wait).then(
        () => undefined,
        (e: unknown) => {
          mem?.uncharge(msg.data.byteLength);
          throw e;
        },
      );
    }
    const receiver = this.receivers.shift();
    if (receiver) return this.hand(receiver, msg);
    this.insert(msg);
    this.notify(senderPid);
    this.pollers.notifyAll();
  }

  /** mq_timedreceive (the caller has checked its buffer against msgsize): the message, uncharged. */
  receive(nonblock: boolean, wait: MqWait): MqMessage | Promise<MqMessage> {
    if (this.msgs.length === 0) {
      if (nonblock) throw EAGAIN_ERROR;
      const w: Waiter = { wake: new WaitQueue(), rank: wait.rank, msg: undefined, ready: false };
      return this.sleep(this.receivers, w, wait).then(() => this.taken(w.msg!));
    }
    const msg = this.msgs.shift()!;
    this.qsize -= msg.data.byteLength;
    const sender = this.senders.shift();
    if (sender) {
      this.insert(sender.msg!);
      this.hand(sender, undefined);
    } else {
      this.pollers.notifyAll();
    }
    return this.taken(msg);
  }

  poll(): number {
    return (this.msgs.length > 0 ? Ready.IN : 0) | (this.msgs.length < this.maxmsg ? Ready.OUT : 0);
  }

  /**
   * mq_notify: `reg` registers (EBUSY while any registration exists); undefined removes the
   * owner's own registration (another's stays, and that is no error).
   */
  setNotification(owner: NotifyOwner, reg: MqRegistration | undefined): void {
    if (reg === undefined) {
      if (this.registration?.owner === owner) this.dropNotification();
      return;
    }
    if (this.registration) throw sysErr(Errno.BUSY);
    this.registration = reg;
  }

  /** A descriptor of the queue closed by `owner` (Linux's mqueue_flush_file). */
  flush(owner: NotifyOwner): void {
    if (this.registration?.owner === owner) this.dropNotification();
  }

  /** The text a read of a descriptor gives (Linux's mqueue_read_file). */
  status(): string {
    const r = this.registration;
    return `QSIZE:${pad(this.qsize, 10)} NOTIFY:${pad(r ? r.notify : 0, 5)} SIGNO:${pad(r && r.notify === MqNotify.SIGNAL ? r.signo : 0, 5)} NOTIFY_PID:${pad(r ? r.owner.pid : 0, 6)}\n`;
  }

  /** @internal MqFile's lifetime. */
  opened(): void {
    this.opens++;
  }

  /** @internal */
  closed(): void {
    this.opens--;
    if (this.opens === 0 && !this.named) this.destroy();
  }

  /** @internal MqNamespace.unlink */
  unlinked(): void {
    this.named = false;
    if (this.opens === 0) this.destroy();
  }

  private destroy(): void {
    this.ns.count--;
    this.ns.bytes -= this.cost;
    if (this.ns.mem) for (const m of this.msgs) this.ns.mem.uncharge(m.data.byteLength);
    this.msgs.length = 0;
    this.qsize = 0;
    this.registration?.cancel();
    this.registration = undefined;
  }

  private insert(msg: MqMessage): void {
    let i = this.msgs.length;
    while (i > 0 && this.msgs[i - 1]!.prio < msg.prio) i--;
    this.msgs.splice(i, 0, msg);
    this.qsize += msg.data.byteLength;
  }

  private hand(w: Waiter, msg: MqMessage | undefined): void {
    w.msg = msg;
    w.ready = true;
    w.wake.notify();
  }

  private taken(msg: MqMessage): MqMessage {
    this.ns.mem?.uncharge(msg.data.byteLength);
    return msg;
  }

  /** Linux's __do_notify: a message put on an empty queue fires the registration, which goes. */
  private notify(senderPid: number): void {
    const r = this.registration;
    if (!r || this.msgs.length !== 1) return;
    this.registration = undefined;
    r.fire(senderPid);
  }

  private dropNotification(): void {
    const r = this.registration;
    this.registration = undefined;
    r?.cancel();
  }

  /** Linux's wq_sleep: wait to be handed a message (or room); ETIMEDOUT, or EINTR that SA_RESTART restarts. */
  private async sleep(list: Waiter[], w: Waiter, { intr, deadlineMs }: MqWait): Promise<void> {
    if (deadlineMs !== undefined && deadlineMs <= nowMs()) throw sysErr(Errno.TIMEDOUT);
    let i = list.length;
    while (i > 0 && list[i - 1]!.rank > w.rank) i--;
    list.splice(i, 0, w);
    for (;;) {
      const reason = await w.wake.wait(deadlineMs === undefined ? { intr } : { intr, deadlineMs });
      if (w.ready) return;
      if (reason === "woken") continue;
      list.splice(list.indexOf(w), 1);
      throw reason === "interrupted" ? ERESTARTSYS : sysErr(Errno.TIMEDOUT);
    }
  }
}

function pad(n: number, width: number): string {
  return String(n).padEnd(width);
}

/**
 * An mqd_t: a descriptor of a queue, as on Linux (close, poll/select/epoll, dup, fcntl's
 * O_NONBLOCK, FD_CLOEXEC always set at open). read gives the queue's status text at the file
 * position; write is EINVAL (Linux has none); fstat shows a regular file of FILENT_SIZE bytes
 * with the queue's mode, no link once unlinked.
 */
export class MqFile extends FileBase {
  readonly queue: MessageQueue;
  private pos = 0;

  /** `path`: what /proc/<pid>/fd shows; "/<name>" for mq_open's (Linux's internal mount), the path opened for open(2)'s. */
  constructor(queue: MessageQueue, readable: boolean, writable: boolean, flags: number, name: string, path = `/${name}`) {
    super(FileType.UNKNOWN, { readable, writable, flags, path });
    this.queue = queue;
    queue.opened();
  }

  get waitQueue(): WaitQueue {
    return this.queue.pollers;
  }

  get nonblocking(): boolean {
    return (this.flags & FdFlags.NONBLOCK) !== 0;
  }

  override read(iovs: Uint8Array[]): number {
    const text = new TextEncoder().encode(this.queue.status());
    if (this.pos >= text.byteLength) return 0;
    const n = scatter(iovs, text.subarray(this.pos));
    this.pos += n;
    return n;
  }

  override seek(offset: bigint, whence: number): bigint {
    const base = whence === Whence.SET ? 0n : whence === Whence.CUR ? BigInt(this.pos) : whence === Whence.END ? BigInt(FILENT_SIZE) : -1n;
    if (base < 0n) throw sysErr(Errno.INVAL);
    const to = base + offset;
    if (to < 0n || to > BigInt(Number.MAX_SAFE_INTEGER)) throw sysErr(Errno.INVAL);
    this.pos = Number(to);
    return to;
  }

  override tell(): bigint {
    return BigInt(this.pos);
  }

  override poll(): number {
    return this.queue.poll();
  }

  override stat(): Stat {
    const at = this.queue.createdNs;
    return {
      dev: 0n, ino: this.anonIno, filetype: FileType.REGULAR_FILE, nlink: this.queue.linked ? 1n : 0n,
      size: BigInt(FILENT_SIZE), atim: at, mtim: at, ctim: at, mode: this.queue.mode,
    };
  }

  flush(owner: NotifyOwner): void {
    this.queue.flush(owner);
  }

  override release(): void {
    this.queue.closed();
  }
}

const namespaces = new WeakMap<object, MqNamespace>();

/** The namespace of `kernel` (made on first use, charging `mem`). */
export function mqNamespace(kernel: object, mem: () => MemCharge | undefined): MqNamespace {
  let ns = namespaces.get(kernel);
  if (!ns) namespaces.set(kernel, (ns = new MqNamespace(mem())));
  return ns;
}
