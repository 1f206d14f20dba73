/**
 * Resource limits (getrlimit/setrlimit/prlimit, Linux's numbering): what a process may use, soft
 * (cur) and hard (max), inherited by the processes it spawns.
 *
 * Enforced: RLIMIT_NOFILE, the fd table's `limit` (new fds below the soft limit: EMFILE for open,
 * EBADF for dup2, EINVAL for F_DUPFD past it); its hard limit is at most MAX_FDS, the table's size
 * (setting more is EPERM, as Linux past its nr_open). Reported as set and otherwise not applied,
 * as for a Linux root process that the limits do not bind (NPROC, whose default is the instance's
 * thread cap) or that the LibOS has no counterpart for (CPU, FSIZE, CORE, AS...). Defaults are
 * Linux's: unlimited but for STACK's 8 MiB soft limit, CORE's 0, MEMLOCK's 8 MiB, MSGQUEUE's
 * 819200 bytes and NICE/RTPRIO's 0.
 */
import { Errno, sysErr } from "../syscall/errno.ts";
import { MAX_FDS } from "./fd-table.ts";
import type { Process } from "./process.ts";
import { threadCap } from "./thread-spawn.ts";

export const RLIM_INFINITY = (1n << 64n) - 1n;
export const Rlimit = {
  CPU: 0, FSIZE: 1, DATA: 2, STACK: 3, CORE: 4, RSS: 5, NPROC: 6, NOFILE: 7, MEMLOCK: 8, AS: 9, LOCKS: 10,
  SIGPENDING: 11, MSGQUEUE: 12, NICE: 13, RTPRIO: 14, RTTIME: 15,
} as const;
export const RLIM_NLIMITS = 16;

export interface Limit {
  readonly cur: bigint;
  readonly max: bigint;
}

const unlimited: Limit = { cur: RLIM_INFINITY, max: RLIM_INFINITY };
const fixed = (n: bigint): Limit => ({ cur: n, max: n });

function defaultLimit(p: Process, resource: number): Limit {
  switch (resource) {
    case Rlimit.STACK: return { cur: 8n << 20n, max: RLIM_INFINITY };
    case Rlimit.CORE: return { cur: 0n, max: RLIM_INFINITY };
    case Rlimit.NOFILE: return fixed(BigInt(MAX_FDS));
    case Rlimit.MEMLOCK: return fixed(8n << 20n);
    case Rlimit.MSGQUEUE: return fixed(819200n);
    case Rlimit.NICE: case Rlimit.RTPRIO: return fixed(0n);
    case Rlimit.NPROC: case Rlimit.SIGPENDING: {
      const cap = threadCap(p);
      return cap === undefined ? unlimited : fixed(BigInt(cap));
    }
    default: return unlimited;
  }
}

/** The process's limit on `resource` (EINVAL past RLIM_NLIMITS). */
export function getRlimit(p: Process, resource: number): Limit {
  if (resource < 0 || resource >= RLIM_NLIMITS) throw sysErr(Errno.INVAL);
  return p.rlimits.get(resource) ?? defaultLimit(p, resource);
}

/** Set a limit, with Linux's checks: EINVAL for soft above hard, EPERM for NOFILE past what the fd table holds. */
export function setRlimit(p: Process, resource: number, l: Limit): void {
  if (resource < 0 || resource >= RLIM_NLIMITS || l.cur > l.max) throw sysErr(Errno.INVAL);
  if (resource === Rlimit.NOFILE) {
    if (l.max > BigInt(MAX_FDS)) throw sysErr(Errno.PERM);
    p.fds.limit = Number(l.cur);
  }
  p.rlimits.set(resource, l);
}

/** A spawned child starts with its parent's limits (the fd table's comes with its fds). */
export function inheritRlimits(child: Process, parent: Process): void {
  for (const [r, l] of parent.rlimits) child.rlimits.set(r, l);
}
