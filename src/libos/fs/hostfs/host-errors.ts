/** Node host errors (err.code) → SysError, for the file systems that talk to the host. */
import { Errno, SysError, sysErr } from "../../syscall/errno.ts";

const codes: Record<string, Errno> = {
  ENOENT: Errno.NOENT, EEXIST: Errno.EXIST, ENOTDIR: Errno.NOTDIR, EISDIR: Errno.ISDIR,
  ENOTEMPTY: Errno.NOTEMPTY, EACCES: Errno.ACCES, EPERM: Errno.PERM, ELOOP: Errno.LOOP,
  ENAMETOOLONG: Errno.NAMETOOLONG, EXDEV: Errno.XDEV, ENOSPC: Errno.NOSPC, EROFS: Errno.ROFS,
  EBUSY: Errno.BUSY, EINVAL: Errno.INVAL, EMFILE: Errno.MFILE, ENFILE: Errno.NFILE, EBADF: Errno.BADF,
  EIO: Errno.IO, EFBIG: Errno.FBIG, EMLINK: Errno.MLINK, ETXTBSY: Errno.TXTBSY, EAGAIN: Errno.AGAIN,
  EDQUOT: Errno.DQUOT, ENXIO: Errno.NXIO, ENODEV: Errno.NODEV, EOVERFLOW: Errno.OVERFLOW,
  ENOTSUP: Errno.NOTSUP, EOPNOTSUPP: Errno.NOTSUP, ENOMEM: Errno.NOMEM, ESPIPE: Errno.SPIPE,
};

export function hostErrno(e: unknown): Errno | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? codes[code] : undefined;
}

/** Re-throw a host error as a SysError (EIO for anything unexpected). */
export function toSysError(e: unknown): SysError {
  if (e instanceof SysError) return e;
  const errno = hostErrno(e);
  return sysErr(errno ?? Errno.IO, errno === undefined ? String((e as Error)?.message ?? e) : "host");
}

/** Run a host call, translating its errors. */
export async function host<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toSysError(e);
  }
}
