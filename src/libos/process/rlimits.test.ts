/**
 * Resource limits (rlimits.ts): Linux's defaults, RLIMIT_NPROC from the thread budget, the checks
 * of a set, RLIMIT_NOFILE reaching the fd table, inheritance. Guest-level behaviour (EMFILE, dup2,
 * F_DUPFD, a spawned child's limit) is test/libos/process/conform-rlimit.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Process } from "./process.ts";
import { ProcessTable } from "./process-table.ts";
import { Logger, LogLevel } from "../log.ts";
import type { Kernel } from "../kernel.ts";
import type { Vfs } from "../fs/types.ts";
import { getRlimit, inheritRlimits, RLIM_INFINITY, Rlimit, setRlimit } from "./rlimits.ts";
import { MAX_FDS } from "./fd-table.ts";
import { setThreadBudget } from "./thread-spawn.ts";
import { ThreadBudget } from "../vm/threads.ts";
import { errnoName, SysError } from "../syscall/errno.ts";

function process(pid = 1, k?: Kernel): Process {
  const kernel: Kernel = k ?? { fs: { forProcess: () => ({}) as Vfs }, log: new Logger(LogLevel.error, () => {}), processes: new ProcessTable(0n), trace: false };
  return new Process(kernel, { pid, ppid: 0, exe: "/bin/p", argv: [], env: [] });
}

const errno = (f: () => void): string => {
  try {
    f();
  } catch (e) {
    return errnoName((e as SysError).errno);
  }
  return "none";
};

test("defaults are Linux's; RLIMIT_NPROC is the thread budget when there is one", () => {
  const p = process();
  assert.deepEqual(getRlimit(p, Rlimit.NOFILE), { cur: BigInt(MAX_FDS), max: BigInt(MAX_FDS) });
  assert.deepEqual(getRlimit(p, Rlimit.STACK), { cur: 8n << 20n, max: RLIM_INFINITY });
  assert.deepEqual(getRlimit(p, Rlimit.CORE), { cur: 0n, max: RLIM_INFINITY });
  assert.deepEqual(getRlimit(p, Rlimit.AS), { cur: RLIM_INFINITY, max: RLIM_INFINITY });
  assert.deepEqual(getRlimit(p, Rlimit.NPROC), { cur: RLIM_INFINITY, max: RLIM_INFINITY }); // nothing caps threads
  const table = new ProcessTable(0n);
  setThreadBudget(table, new ThreadBudget({ edmm: false, init: 1, max: 32 }));
  const q = process(2, { fs: { forProcess: () => ({}) as Vfs }, log: new Logger(LogLevel.error, () => {}), processes: table, trace: false });
  assert.deepEqual(getRlimit(q, Rlimit.NPROC), { cur: 32n, max: 32n });
  assert.equal(errno(() => getRlimit(p, 16)), "EINVAL");
  assert.equal(errno(() => getRlimit(p, -1)), "EINVAL");
});

test("a set is checked as Linux checks it, and RLIMIT_NOFILE becomes the fd table's limit", () => {
  const p = process();
  assert.equal(errno(() => setRlimit(p, Rlimit.NOFILE, { cur: 10n, max: 5n })), "EINVAL");
  assert.equal(errno(() => setRlimit(p, Rlimit.NOFILE, { cur: 10n, max: BigInt(MAX_FDS) + 1n })), "EPERM");
  assert.equal(errno(() => setRlimit(p, 16, { cur: 1n, max: 1n })), "EINVAL");
  setRlimit(p, Rlimit.NOFILE, { cur: 64n, max: 512n });
  assert.equal(p.fds.limit, 64);
  assert.deepEqual(getRlimit(p, Rlimit.NOFILE), { cur: 64n, max: 512n });
  setRlimit(p, Rlimit.CORE, { cur: 1n << 20n, max: 1n << 20n });
  const child = process(2);
  inheritRlimits(child, p);
  child.fds.inheritFrom(p.fds);
  assert.deepEqual(getRlimit(child, Rlimit.CORE), { cur: 1n << 20n, max: 1n << 20n });
  assert.equal(child.fds.limit, 64);
});
