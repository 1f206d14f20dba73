/**
 * mqueuefs: the POSIX message queue file system, mounted at /dev/mqueue (mq_overview(7),
 * Linux's ipc/mqueue.c). One flat directory whose entries are the queues of the namespace:
 *   root      a directory, mode 01777 (S_ISVTX | 0777, as Linux's mqueue_fill_super)
 *   <name>    one regular file per queue named `/<name>`: mode as created, st_size FILENT_SIZE
 *             (Linux sets i_size to it), uid/gid 0; open(2) gives a descriptor of the queue
 *             (an mqd_t: read gives its status line, mq_send/mq_receive work on it)
 *   create    open(O_CREAT) makes a queue with the default attributes (Linux's mqueue_create)
 *   unlink    is mq_unlink: the name goes, open descriptors keep the queue
 *   refused   mkdir, rename, link and symlink: EPERM (the directory has no such inode
 *             operations on Linux); rmdir of a queue is ENOTDIR (the VFS decides that)
 * The queues are not kept here: the fs reads the namespace through `MqueueSource`, which the
 * kernel binds once it exists (the VFS is mounted before the kernel is made). Until then, and in
 * a VFS without a kernel (tools, tests), the directory is empty and creating in it is EPERM.
 * Every lookup asks the source, so queues made or removed by mq_open/mq_unlink show at once.
 */
import { Errno, sysErr } from "../../syscall/errno.ts";
import { nowNs } from "../file-base.ts";
import { FileType, type OpenFile, type Stat } from "../types.ts";
import { allocDev, InodeBase, type CreateKind, type FileSystemImpl, type FsCtx, type InodeImpl, type InodeOpenOptions, type ListEntry } from "../vfs/inode.ts";

/** What the fs needs of one queue. */
export interface MqueueEntry {
  /** Unique within the namespace for the queue's life (the inode number), never 1 (the root's). */
  readonly ino: bigint;
  /** Permission bits as created. */
  readonly mode: number;
  /** Creation time, ns since the epoch. */
  readonly createdNs: bigint;
}

/** The namespace of queues as the fs sees it (implemented over ipc/mqueue.ts by the kernel). */
export interface MqueueSource {
  /** The queues by name (without the leading slash). */
  list(): Iterable<[string, MqueueEntry]>;
  lookup(name: string): MqueueEntry | undefined;
  /** A queue with the default attributes, as mq_open(O_CREAT|O_EXCL) would make it (EEXIST, ENOSPC, EMFILE...). */
  create(name: string, mode: number, ctx: FsCtx | undefined): MqueueEntry;
  /** mq_unlink (ENOENT when gone). */
  unlink(name: string): void;
  /** A descriptor of the queue (the same kind of file mq_open returns). */
  open(entry: MqueueEntry, name: string, opts: InodeOpenOptions): OpenFile;
  /** The st_size of every queue file (Linux's FILENT_SIZE). */
  readonly fileSize: number;
}

const ROOT_INO = 1n;

class QueueInode extends InodeBase {
  readonly fs: MqueueFs;
  readonly ino: bigint;
  readonly filetype = FileType.REGULAR_FILE;
  private readonly entry: MqueueEntry;
  private readonly name: string;

  constructor(fs: MqueueFs, name: string, entry: MqueueEntry) {
    super();
    this.fs = fs;
    this.name = name;
    this.entry = entry;
    this.ino = entry.ino;
  }

  stat(): Stat {
    const t = this.entry.createdNs;
    return {
      dev: this.fs.dev, ino: this.ino, filetype: FileType.REGULAR_FILE, nlink: this.fs.source?.lookup(this.name) === this.entry ? 1n : 0n,
      size: BigInt(this.fs.source?.fileSize ?? 0), atim: t, mtim: t, ctim: t, mode: this.entry.mode,
    };
  }

  override open(opts: InodeOpenOptions, _ctx: FsCtx): OpenFile {
    const src = this.fs.source;
    if (!src) throw sysErr(Errno.NOENT);
    return src.open(this.entry, this.name, opts);
  }
}

class RootInode extends InodeBase {
  readonly fs: MqueueFs;
  readonly ino = ROOT_INO;
  readonly filetype = FileType.DIRECTORY;
  private readonly createdNs = nowNs();

  constructor(fs: MqueueFs) {
    super();
    this.fs = fs;
  }

  stat(): Stat {
    const t = this.createdNs;
    return { dev: this.fs.dev, ino: ROOT_INO, filetype: FileType.DIRECTORY, nlink: 2n, size: 0n, atim: t, mtim: t, ctim: t, mode: 0o1777 };
  }

  override lookup(name: string, _ctx: FsCtx): InodeImpl | null {
    const e = this.fs.source?.lookup(name);
    return e ? new QueueInode(this.fs, name, e) : null;
  }

  override list(_ctx: FsCtx): ListEntry[] {
    const src = this.fs.source;
    if (!src) return [];
    return [...src.list()].map(([name, e]) => ({ name, ino: e.ino, filetype: FileType.REGULAR_FILE }));
  }

  /** open(O_CREAT): Linux's mqueue_create; mkdir has no inode operation there (EPERM). */
  override create(name: string, kind: CreateKind, mode: number, ctx?: FsCtx): InodeImpl {
    const src = this.fs.source;
    if (kind === "dir" || !src) throw sysErr(Errno.PERM, "mqueue: only queues");
    return new QueueInode(this.fs, name, src.create(name, mode, ctx));
  }

  override unlink(name: string): void {
    const src = this.fs.source;
    if (!src) throw sysErr(Errno.NOENT);
    src.unlink(name);
  }
  // symlink, link, rename, rmdir: InodeBase's EPERM, as Linux's vfs_* without the inode operation.
}

export class MqueueFs implements FileSystemImpl {
  readonly type = "mqueue";
  readonly dev = allocDev();
  readonly readOnly = false;
  private readonly rootInode = new RootInode(this);
  private bound: MqueueSource | undefined;

  /** The namespace shown (the kernel binds its own; a later kernel on the same VFS replaces it). */
  bind(source: MqueueSource): void {
    this.bound = source;
  }

  get source(): MqueueSource | undefined {
    return this.bound;
  }

  root(): InodeImpl {
    return this.rootInode;
  }
}
