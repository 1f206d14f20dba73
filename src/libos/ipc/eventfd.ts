/**
 * eventfd(2): a 64-bit counter behind a file descriptor (WASIX fd_event), for one thread or
 * process to wake another through read/write and poll/epoll, as event loops (libuv, tokio, Go's
 * netpoller) use it. Linux's semantics (fs/eventfd.c, as eventfd(2) documents them):
 *   read   8 bytes or more asked (else EINVAL), across iovecs (Linux's read_iter); the
 *          counter, which becomes 0, or with
 *          EFD_SEMAPHORE 1, the counter going down by one; EAGAIN while it is 0
 *   write  exactly 8 bytes (else EINVAL, as Linux 6.18 here: 16 bytes fail too), a value
 *          (0xffffffffffffffff: EINVAL) added to the counter; EAGAIN while the sum would pass
 *          0xfffffffffffffffe. eventfd has no write_iter in Linux, so writev writes iovec by
 *          iovec (fs/read_write.c do_loop_readv_writev): each must be 8 bytes, and the call
 *          returns what the ones before a failure wrote, or the failure
 *   poll   readable while the counter is above 0, writable while 1 more would still fit
 * Blocking (a description without O_NONBLOCK) is the kernel's, as for pipes: EAGAIN here, the
 * wait on `waitQueue`, which every change notifies. Reads and writes are in host order (little
 * endian in wasm, as on x86 Linux).
 */
import { EAGAIN_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { FileBase } from "../fs/file-base.ts";
import { scatter } from "../fs/vfs/seekable.ts";
import { FileType, Ready, type Stat } from "../fs/types.ts";
import { WaitQueue } from "../sched/wait-queue.ts";

const MAX = 0xffff_ffff_ffff_fffen;
const WIDTH = 8;

export class EventFd extends FileBase {
  readonly waitQueue = new WaitQueue();
  private counter: bigint;
  private readonly semaphore: boolean;
  /** Scratch for the 8 bytes of one read (they may span iovecs). */
  private readonly word = new DataView(new ArrayBuffer(WIDTH));

  constructor(initial: bigint, semaphore: boolean, flags: number) {
    super(FileType.UNKNOWN, { readable: true, writable: true, flags, path: "anon_inode:[eventfd]" });
    this.counter = initial;
    this.semaphore = semaphore;
  }

  override read(iovs: Uint8Array[]): number {
    if (total(iovs) < WIDTH) throw sysErr(Errno.INVAL, "eventfd read of less than 8 bytes");
    if (this.counter === 0n) throw EAGAIN_ERROR;
    const v = this.semaphore ? 1n : this.counter;
    this.counter -= v;
    this.word.setBigUint64(0, v, true);
    scatter(iovs, new Uint8Array(this.word.buffer));
    this.waitQueue.notifyAll(); // room for writers again
    return WIDTH;
  }

  override write(iovs: Uint8Array[]): number {
    if (iovs.length === 0) return 0;
    let done = 0;
    for (const v of iovs) {
      try {
        this.add(v);
      } catch (e) {
        if (done === 0) throw e;
        break;
      }
      done += WIDTH;
    }
    if (done === 0) throw sysErr(Errno.INVAL, "eventfd write of no bytes");
    return done;
  }

  /** One write(2) of `buf`. */
  private add(buf: Uint8Array): void {
    if (buf.byteLength !== WIDTH) throw sysErr(Errno.INVAL, "eventfd write of other than 8 bytes");
    const v = new DataView(buf.buffer, buf.byteOffset, WIDTH).getBigUint64(0, true);
    if (v === 0xffff_ffff_ffff_ffffn) throw sysErr(Errno.INVAL, "eventfd write of 2^64 - 1");
    if (v > MAX - this.counter) throw EAGAIN_ERROR;
    if (v === 0n) return;
    this.counter += v;
    this.waitQueue.notifyAll();
  }

  override poll(): number {
    let r = 0;
    if (this.counter > 0n) r |= Ready.IN;
    if (this.counter < MAX) r |= Ready.OUT;
    return r;
  }

  override stat(): Stat {
    return { ...(super.stat() as Stat), size: 0n };
  }
}

function total(iovs: Uint8Array[]): number {
  let n = 0;
  for (const v of iovs) n += v.byteLength;
  return n;
}
