/**
 * POSIX mode: Debian's clang + lld + compiler-rt wasm32 builtins with Debian's wasix-libc sysroot
 * (a thread-safe musl for the WASIX ABI: imports `wasix_32v1`, shared `env.memory`,
 * `wasi.thread-spawn`). sdk/setup-wasix.sh installs both; this module only finds and runs them.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { repoRoot } from "./paths.ts";

export interface PosixToolchain {
  clang: string;
  clangxx: string;
  llvmVersion: number;
  /** The sysroot's usr/ folder. */
  sysroot: string;
  /** wasm32-wasip1 when the sysroot has the links setup-wasix.sh adds, else the old name. */
  triple: string;
}

const LLVM_VERSIONS = [22, 21, 20, 19];
const SETUP_HINT = "run `sudo sdk/setup-wasix.sh`";

function defaultSysroot(): string {
  return process.env.OCCLUM_WASIX_SYSROOT ?? path.join(repoRoot, ".cache", "wasix-libc", "root", "usr");
}

function hasBuiltins(n: number): boolean {
  const base = `/usr/lib/llvm-${n}/lib/clang`;
  try {
    return readdirSync(base).some((v) => existsSync(path.join(base, v, "lib", "wasi", "libclang_rt.builtins-wasm32.a")));
  } catch {
    return false;
  }
}

let probed: { tc?: PosixToolchain; problem?: string } | undefined;

function probe(): { tc?: PosixToolchain; problem?: string } {
  const sysroot = defaultSysroot();
  if (!existsSync(path.join(sysroot, "lib", "wasm32-wasi", "libc.a"))) {
    return { problem: `wasix-libc sysroot missing at ${sysroot}: ${SETUP_HINT}` };
  }
  const triple = existsSync(path.join(sysroot, "lib", "wasm32-wasip1")) ? "wasm32-wasip1" : "wasm32-wasi";
  const forced = process.env.OCCLUM_CLANG;
  if (forced) {
    const n = Number(/(\d+)$/.exec(forced)?.[1] ?? 0);
    return { tc: { clang: forced, clangxx: forced.replace(/clang(-\d+)?$/, "clang++$1"), llvmVersion: n, sysroot, triple } };
  }
  for (const n of LLVM_VERSIONS) {
    const clang = `/usr/bin/clang-${n}`;
    if (existsSync(clang) && existsSync(`/usr/bin/wasm-ld-${n}`) && hasBuiltins(n)) {
      return { tc: { clang, clangxx: `/usr/bin/clang++-${n}`, llvmVersion: n, sysroot, triple } };
    }
  }
  return { problem: `clang-N + lld-N + libclang-rt-N-dev-wasm32 (N in ${LLVM_VERSIONS.join("/")}) not installed: ${SETUP_HINT}` };
}

/** The installed POSIX toolchain, or undefined. Probed once per process. */
export function findPosixToolchain(): PosixToolchain | undefined {
  probed ??= probe();
  return probed.tc;
}

/** Why findPosixToolchain() returned undefined, as one line naming the fix. */
export function posixToolchainProblem(): string | undefined {
  probed ??= probe();
  return probed.problem;
}

let identity: string | undefined;

/** Compiler version line + libc pin: part of every cache key of POSIX builds. */
export function posixIdentity(): string {
  if (identity) return identity;
  const tc = findPosixToolchain();
  if (!tc) return "posix:none";
  let version = tc.clang;
  try {
    version = execFileSync(tc.clang, ["--version"], { encoding: "utf8" }).split("\n")[0];
  } catch {
    // keep the path: an unrunnable clang fails the build anyway
  }
  let libc = "unknown";
  try {
    libc = readFileSync(path.join(tc.sysroot, "..", ".sha256"), "utf8").trim();
  } catch {
    // a sysroot not made by setup-wasix.sh (OCCLUM_WASIX_SYSROOT) has no stamp
  }
  const additions = createHash("sha256");
  for (const f of [...LIBC_ADDITIONS, ...LIBC_ADDITION_HEADERS, ...SDK_HEADERS]) additions.update(readFileSync(f));
  additions.update(LIBC_ADDITION_LINK_FLAGS.join(" "));
  identity = `${version}|wasix-libc:${libc}|${tc.triple}|sdk-libc:${additions.digest("hex").slice(0, 16)}`;
  return identity;
}

/** Fixes for wasix-libc bugs, linked into every POSIX program ahead of libc.a (sdk/libc/). */
export const LIBC_ADDITIONS: readonly string[] = ["timedwait.c", "itimer.c", "signals.c", "pgroup.c", "wait.c", "sockets.c", "epoll.c", "threads.c", "poll.c", "cancelpoints.c", "eventfd.c", "pipe.c", "locks.c", "clock.c", "syscall.c", "err.c", "login.c", "progname.c", "prctl.c", "sysinfo.c", "mutexprio.c", "resource.c", "timers.c", "timerfd.c", "signalfd.c", "mqueue.c", "sigevthread.c", "preopen.c"].map((f) => path.join(repoRoot, "sdk", "libc", f));
/** Headers the additions share (deferred cancellation; guest ranges and signal masks): part of their identity, as they are. */
const LIBC_ADDITION_HEADERS: readonly string[] = ["cancel.h", "wrap.h", "timespec.h", "sigevthread.h"].map((f) => path.join(repoRoot, "sdk", "libc", f));
/** sockets.c: AF_UNIX addresses, sendmsg/recvmsg (SCM_RIGHTS), MSG_NOSIGNAL. */
const SOCKET_WRAPS = ["socket", "socketpair", "bind", "connect", "sendto", "getsockname", "getpeername", "accept", "accept4", "recv", "recvfrom", "send", "sendmsg", "recvmsg", "setsockopt", "getsockopt"].map((f) => `-Wl,--wrap=${f}`);
/**
 * epoll.c: epoll_data comes back whole (all 64 bits, a zero low half included); epoll_ctl and
 * epoll_create(1) return -1 and errno, and honour EPOLL_CLOEXEC.
 */
const EPOLL_WRAPS = ["epoll_wait", "epoll_pwait", "epoll_ctl", "epoll_create", "epoll_create1"].map((f) => `-Wl,--wrap=${f}`);
/** threads.c: pthread_join & co. return EINVAL/EDEADLK for a detached thread/oneself (the libc traps or hangs). */
const THREAD_WRAPS = ["pthread_join", "pthread_tryjoin_np", "pthread_timedjoin_np", "pthread_detach", "pthread_attr_setschedpolicy", "pthread_attr_setschedparam", "pthread_create", "pthread_rwlock_timedrdlock", "pthread_rwlock_timedwrlock", "sem_timedwait"].map((f) => `-Wl,--wrap=${f}`);
/** mutexprio.c: mutex priority protocols (a PRIO_PROTECT mutex keeps its ceiling and cannot be locked; a PRIO_INHERIT one is a PI futex; the protocol is reported). */
const MUTEX_WRAPS = ["pthread_mutexattr_getprotocol", "pthread_mutex_init", "pthread_mutex_lock", "pthread_mutex_trylock", "pthread_mutex_timedlock", "pthread_mutex_unlock", "__pthread_mutex_unlock"].map((f) => `-Wl,--wrap=${f}`);
/** poll.c: poll/ppoll/select/pselect over the kernel's epoll (Linux's POLLNVAL, POLLERR, POLLHUP, POLLRDHUP). */
const POLL_WRAPS = ["poll", "ppoll", "select", "pselect"].map((f) => `-Wl,--wrap=${f}`);
/** cancelpoints.c: the blocking file and process calls are cancellation points (sdk/libc/cancel.h). */
const CANCEL_WRAPS = ["read", "readv", "pread", "write", "writev", "pwrite", "close", "fsync", "fdatasync", "waitpid", "wait", "open", "openat", "creat", "tcdrain", "msync"].map((f) => `-Wl,--wrap=${f}`);
/**
 * pgroup.c wraps posix_spawn(p) to hand the spawn attributes to the kernel first; eventfd.c,
 * eventfd's flags; locks.c, fcntl's lock commands (to the kernel's file locks); preopen.c, the
 * root directory's lookup (fd 3 is the program's); sysinfo.c,
 * sysconf's _SC_PHYS_PAGES/_SC_AVPHYS_PAGES (from sysinfo).
 */
const LIBC_ADDITION_LINK_FLAGS = ["-Wl,--wrap=__wasilibc_find_abspath", "-Wl,--wrap=posix_spawn", "-Wl,--wrap=posix_spawnp", "-Wl,--wrap=eventfd", "-Wl,--wrap=pipe2", "-Wl,--wrap=fcntl", "-Wl,--wrap=sysconf", ...SOCKET_WRAPS, ...EPOLL_WRAPS, ...THREAD_WRAPS, ...MUTEX_WRAPS, ...POLL_WRAPS, ...CANCEL_WRAPS];
/** Headers declaring what the libc's hide but sdk/libc provides (pause), searched before the sysroot's. */
const SDK_INCLUDE = path.join(repoRoot, "sdk", "include");
/** Every header there (part of the cache identity: a header added later is not forgotten). */
const SDK_HEADERS: readonly string[] = readdirSync(SDK_INCLUDE, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".h"))
  .sort()
  .map((f) => path.join(SDK_INCLUDE, f));

/** The flags that make wasix-libc programs link and run (see shared reference guest-toolchain.md). */
export function posixArgs(tc: PosixToolchain, userArgs: readonly string[], linking: boolean): string[] {
  const args = [`--target=${tc.triple}`, `--sysroot=${tc.sysroot}`, "-isystem", SDK_INCLUDE, "-pthread", "-matomics", "-mbulk-memory"];
  if (!userArgs.some((a) => /^-O/.test(a))) args.push("-O2");
  // getrusage/times and mmap are #error'd unless their emulations are chosen; wasix has neither natively.
  args.push("-D_WASI_EMULATED_PROCESS_CLOCKS", "-D_WASI_EMULATED_MMAN");
  if (linking) {
    // Shared imported memory with a maximum: threads need both to get their stacks.
    args.push("-Wl,--import-memory,--export-memory,--shared-memory,--max-memory=268435456");
  }
  args.push(...userArgs);
  if (linking) args.push(...LIBC_ADDITIONS, ...LIBC_ADDITION_LINK_FLAGS, "-lwasi-emulated-process-clocks", "-lwasi-emulated-mman");
  return args;
}

export interface RunResult {
  code: number;
  stderr: string;
}

/** Runs the host clang; stderr is captured (and echoed when `echo` is set). */
export function runPosixClang(tc: PosixToolchain, cxx: boolean, args: readonly string[], echo: boolean, cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cxx ? tc.clangxx : tc.clang, args, { cwd, stdio: ["ignore", echo ? "inherit" : "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
      stderr += d;
      if (echo) process.stderr.write(d);
    });
    child.on("error", (err) => reject(new Error(`cannot run ${tc.clang}: ${err.message} (${SETUP_HINT})`)));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stderr }));
  });
}
