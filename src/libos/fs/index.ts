/**
 * libos/fs: the VFS and its file systems. The public surface the kernel uses:
 *
 *   const vfs = await createVfs(appStage.mount, { instanceDir, processInfo, ramfsBudget });
 *   const pv = vfs.forProcess(pid);        // a Vfs (types.ts) seen by process `pid`
 *   const root = await pv.openRoot();      // the guest's preopen "/"
 *   const f = await pv.open(root, "etc/hosts", { oflags: 0, fdflags: 0, read: true, write: false, followSymlinks: true });
 *   ...
 *   await vfs.close();                     // at LibOS shutdown
 *
 * Per-process view: every path operation runs for one process (procfs resolves /proc/self and
 * shows that process). `forProcess(pid)` is cheap (one small object), so the kernel may keep one
 * per process or create one per call. Directory descriptors (the `dir` argument of every Vfs
 * method) are those returned by `open`/`openRoot` of any view; anything else fails with ENOTDIR.
 *
 * Everything under /proc comes from a ProcessInfoSource the kernel implements (procfs/source.ts);
 * /dev/mqueue's queues from the MqueueSource it binds (`VfsService.bindMqueue`, mqueuefs/).
 *
 * Semantics the syscall layer can rely on (errnos as wasmtime on Linux):
 * - Paths given to the dir-relative methods must be relative: an absolute one is EPERM (as
 *   wasmtime; wasi-libc strips the preopen "/"). `openAbsolute` and `ProcessVfs.resolve` take
 *   absolute paths (exec, chdir). `..` never leaves the root; absolute symlinks start at the root.
 * - `link(..., followSymlinks = true)` is EINVAL (wasmtime rejects SYMLINK_FOLLOW on path_link).
 * - A `dir` argument that is not a directory description from this VFS is ENOTDIR.
 * - Directory descriptions (DirFile): fd_seek/fd_tell are EBADF (wasmtime), read EISDIR; readdir
 *   lists "." and ".." first, cookie N = the N-th entry of a snapshot taken at cookie 0.
 * - Opening /proc/<pid>/fd/N (and /dev/stdin|stdout|stderr) of a file without a reopenable path
 *   returns the fd's own OpenFile object (the description is shared): count references by object.
 * - Nothing here checks rights: the fd table does. Read-only mounts give EROFS.
 */
export { FileBase, anonIno, iovLength, nowNs, type FileBaseInit } from "./file-base.ts";
export { createVfs, SUPPORTED_FS_TYPES, type CreateVfsOptions, type MountSpec, type VfsService } from "./mounts.ts";
export { DirFile } from "./vfs/dir-file.ts";
export { ProcessVfs, VfsCore, type MountEntry, type MountOptions } from "./vfs/vfs.ts";
export type { FileSystemImpl, FsCtx, InodeImpl } from "./vfs/inode.ts";
export { SeekableFile } from "./vfs/seekable.ts";
export { RamFs, type ByteBudget } from "./ramfs/ramfs.ts";
export type { CacheHeap } from "./hostfs/hostfs.ts";
export { HostFs } from "./hostfs/hostfs.ts";
export { DevFs } from "./devfs/devfs.ts";
export { ProcFs } from "./procfs/procfs.ts";
export { MqueueFs, type MqueueEntry, type MqueueSource } from "./mqueuefs/mqueuefs.ts";
export { UnionFs } from "./unionfs/unionfs.ts";
export { openDirLayerStore, type LayerStore } from "./sefs/dir-layer-store.ts";
export { computeTreeMac, verifyTreeMac, ImageMacError } from "./sefs/tree-mac.ts";
export type { FdInfo, MemoryInfo, ProcessInfo, ProcessInfoSource, ProcessState } from "./procfs/source.ts";
export { emptyProcessInfo } from "./procfs/source.ts";
