/**
 * The one place where foreign errors become errno values: SysError carries its own; Node's
 * `err.code` strings ("ENOENT", "EACCES"...) map by name; anything else is a kernel bug, logged
 * by the caller and reported to the guest as EIO.
 */
import { Errno, SysError } from "./errno.ts";

const aliases: Record<string, Errno> = {
  EWOULDBLOCK: Errno.AGAIN,
  EOPNOTSUPP: Errno.NOTSUP,
  ENOTSUP: Errno.NOTSUP,
  EDQUOT: Errno.DQUOT,
  ERR_FS_FILE_TOO_LARGE: Errno.FBIG,
  ERR_STRING_TOO_LONG: Errno.NOMEM,
};

/** The errno for an error, or undefined when it is not a known kind (the caller logs it: EIO). */
export function errnoOf(e: unknown): Errno | undefined {
  if (e instanceof SysError) return e.errno;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  const alias = aliases[code];
  if (alias !== undefined) return alias;
  if (code.startsWith("E")) {
    const v = (Errno as Record<string, Errno>)[code.slice(1)];
    if (v !== undefined && v !== Errno.SUCCESS) return v;
  }
  return undefined;
}
