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
 * Everything under /proc comes from a ProcessInfoSource the kernel implements (procfs/source.ts).
 */
export { FileBase, anonIno, iovLength, nowNs, type FileBaseInit } from "./file-base.ts";
export { createVfs, type CreateVfsOptions, type MountSpec, type VfsService } from "./mounts.ts";
export { DirFile } from "./vfs/dir-file.ts";
export { ProcessVfs, VfsCore, type MountEntry, type MountOptions } from "./vfs/vfs.ts";
export type { FileSystemImpl, FsCtx, InodeImpl } from "./vfs/inode.ts";
export { SeekableFile } from "./vfs/seekable.ts";
export { RamFs, type ByteBudget } from "./ramfs/ramfs.ts";
export type { FdInfo, MemoryInfo, ProcessInfo, ProcessInfoSource, ProcessState } from "./procfs/source.ts";
export { emptyProcessInfo } from "./procfs/source.ts";
