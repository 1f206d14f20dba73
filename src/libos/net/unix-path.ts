/**
 * Pathnames of AF_UNIX sockets in the VFS. bind() creates the socket file (EADDRINUSE when the path
 * exists, ENOENT/ENOTDIR/EROFS from the walk, as Linux); connect() and sendto() find it by path
 * (ENOENT when missing). Either way the address gets `key`: the file's (dev, ino), under which the
 * kernel's UnixNamespace (unix.ts) holds the socket. The file outlives the socket, as on Linux: a
 * connect to it then refuses (ECONNREFUSED), a new bind on the path needs an unlink first.
 *
 * The file is a socket inode (fs/vfs/socket-nodes.ts): stat shows S_IFSOCK, open fails with ENXIO,
 * unlink removes it.
 */
import path from "node:path";
import { FileType, type Vfs } from "../fs/types.ts";
import { Errno, SysError, sysErr } from "../syscall/errno.ts";
import { FILE_KEY_PREFIX } from "./unix.ts";
import { SockType, type SockAddr } from "./types.ts";

type UnixAddr = Extract<SockAddr, { family: "unix" }>;

/** Whether an address names a file (not unnamed, not abstract). */
export function isPathAddr(a: SockAddr): a is UnixAddr {
  return a.family === "unix" && a.path !== "" && !a.path.startsWith("\0");
}

function fileKey(dev: bigint, ino: bigint): string {
  return `${FILE_KEY_PREFIX}${dev}:${ino}`;
}

/** The path relative to the root, for calls that take a directory (the open root). */
function fromRoot(cwd: string, p: string): string {
  const abs = path.posix.resolve(cwd, p);
  return abs === "/" ? "." : abs.slice(1);
}

/**
 * bind: create the socket file at `a.path` (relative to `cwd`) for a socket of `type`; returns the
 * address with its key.
 */
export async function createSocketFile(vfs: Vfs, cwd: string, a: UnixAddr, type: SockType): Promise<UnixAddr> {
  const root = await vfs.openRoot();
  try {
    const st = await vfs.mksock(root, fromRoot(cwd, a.path), type === SockType.DGRAM ? FileType.SOCKET_DGRAM : FileType.SOCKET_STREAM, 0o755);
    return { ...a, key: fileKey(st.dev, st.ino) };
  } catch (e) {
    if (e instanceof SysError && e.errno === Errno.EXIST) throw sysErr(Errno.ADDRINUSE, a.path);
    throw e;
  } finally {
    await root.release();
  }
}

/** bind failed after the file was made: take the file back. */
export async function removeSocketFile(vfs: Vfs, cwd: string, a: UnixAddr): Promise<void> {
  const root = await vfs.openRoot();
  try {
    await vfs.unlink(root, fromRoot(cwd, a.path));
  } catch {
    // already gone
  } finally {
    await root.release();
  }
}

/** connect/sendto: the key of the file at `a.path` (ENOENT when there is none). */
export async function findSocketFile(vfs: Vfs, cwd: string, a: UnixAddr): Promise<UnixAddr> {
  const root = await vfs.openRoot();
  try {
    const st = await vfs.stat(root, fromRoot(cwd, a.path), true);
    return { ...a, key: fileKey(st.dev, st.ino) };
  } finally {
    await root.release();
  }
}
