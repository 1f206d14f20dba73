/**
 * The kernel's message queue namespace (ipc/mqueue.ts) and the file system that shows it at
 * /dev/mqueue (fs/mqueuefs): the namespace of a kernel, and the narrow `MqueueSource` the fs
 * reads it through, so the fs knows nothing of queues beyond names, modes and descriptors.
 */
import type { Kernel } from "../kernel.ts";
import type { FsCtx, InodeOpenOptions } from "../fs/vfs/inode.ts";
import type { MqueueEntry, MqueueSource } from "../fs/mqueuefs/mqueuefs.ts";
import { getRlimit, Rlimit } from "../process/rlimits.ts";
import { heapCharge, HeapOwner } from "../vm-charge.ts";
import { FILENT_SIZE, MessageQueue, MqFile, mqNamespace, type MqNamespace } from "./mqueue.ts";

/** RLIMIT_MSGQUEUE's default (a creator the kernel does not know: none in practice). */
const DEFAULT_MSGQUEUE_BYTES = 819200n;

/** The queues of kernel `k` (one namespace per instance), messages charged to its kernel heap. */
export function kernelMqNamespace(k: Kernel): MqNamespace {
  return mqNamespace(k, () => heapCharge(k.vm, HeapOwner.MQUEUE));
}

/** /dev/mqueue's view of `k`'s namespace. */
export function mqueueFsSource(k: Kernel): MqueueSource {
  const ns = kernelMqNamespace(k);
  const queue = (e: MqueueEntry): MessageQueue => {
    if (!(e instanceof MessageQueue)) throw new TypeError("not a queue of this namespace");
    return e;
  };
  return {
    fileSize: FILENT_SIZE,
    list: () => ns.entries(),
    lookup: (name) => ns.lookup(name),
    // Linux's mqueue_create: the defaults (attr NULL), counted against the creator's RLIMIT_MSGQUEUE.
    create: (name: string, mode: number, ctx: FsCtx | undefined) => {
      const p = ctx ? k.processes.get(ctx.pid) : undefined;
      const limit = p ? getRlimit(p, Rlimit.MSGQUEUE).cur : DEFAULT_MSGQUEUE_BYTES;
      return ns.open(name, true, true, mode, undefined, limit);
    },
    unlink: (name) => ns.unlink(name),
    // The same file mq_open makes (read: the status line; mq_send/mq_receive take it), without
    // FD_CLOEXEC: open(2) sets that only when asked.
    open: (e: MqueueEntry, name: string, o: InodeOpenOptions) => new MqFile(queue(e), o.read, o.write, o.fdflags, name, o.path),
  };
}
