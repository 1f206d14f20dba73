/**
 * The `occlum` module's waits, for sdk/libc/wait.c: waitpid (wait4's options and status word) and
 * waitid (its siginfo), with Linux's options, errors and encodings (kernel/exit.c). WASIX's
 * proc_join has no "continued" status and no WNOWAIT, so the libc's waitpid cannot say WCONTINUED,
 * and wasix-libc has no waitid at all. The kernel service is process/wait.ts.
 *
 * waitpid(pid, options, status*, pid*): options WNOHANG, WUNTRACED, WCONTINUED (and Linux's
 * __WNOTHREAD/__WALL/__WCLONE, which change nothing here); anything else, WEXITED and WNOWAIT
 * included, is EINVAL, as wait4's. The status word: exit (code << 8), death (the signal), stop
 * ((signal << 8) | 0x7f), continue (0xffff); written only when a child is reported.
 *
 * waitid(idtype, id, options, info*): P_ALL, P_PID (id > 0), P_PGID (id >= 0; 0: the caller's
 * group); P_PIDFD is EBADF (there are no pidfds); other types EINVAL. Options WEXITED, WSTOPPED,
 * WCONTINUED (at least one), WNOHANG, WNOWAIT. info: si_signo (SIGCHLD, or 0 when WNOHANG found
 * nothing), si_code (CLD_EXITED/KILLED/STOPPED/CONTINUED), si_pid, si_status, as four i32.
 */
import { A, R, type ArgCodec, type RetCodec } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import type { Thread } from "../../process/thread.ts";
import { selectorOf, waitChild, type ChildSelector, type WaitResult } from "../../process/wait.ts";
import { SIGCHLD, SIGCONT, SigCode } from "../../process/signals.ts";

/** Linux's wait option bits. */
const WNOHANG = 1, WUNTRACED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x1000000;
const WNOTHREAD = 0x20000000, WALL = 0x40000000, WCLONE = 0x80000000 | 0;
const WAIT4_OPTIONS = WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE;
const WAITID_OPTIONS = WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE;
const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
const INT_MIN = -(2 ** 31);

const i32: ArgCodec<number> = { kind: "i32", wasm: ["i32"], decode: (_m, p, i) => (p[i] as number) | 0, show: (v) => String(v) };

/** wait4's status word of what a wait reported. */
function statusWord(r: WaitResult): number {
  if (!("event" in r)) return 0;
  const e = r.event;
  if (e.kind === "stopped") return ((e.signo & 0xff) << 8) | 0x7f;
  if (e.kind === "continued") return 0xffff;
  return e.status.kind === "exit" ? (e.status.code & 0xff) << 8 : e.status.signo & 0x7f;
}

/** waitpid's two results: the status word at the first pointer (when a child was reported), the pid at the second. */
const waitOut: RetCodec<WaitResult> = {
  kind: "wait", wasm: ["i32", "i32"],
  encode: (m, p, i, v) => {
    if (v.pid !== 0) m.setU32((p[i] as number) >>> 0, statusWord(v) >>> 0);
    m.setU32((p[i + 1] as number) >>> 0, v.pid);
  },
  show: (v) => ("event" in v ? `{pid ${v.pid}, status 0x${statusWord(v).toString(16)}}` : "{pid 0}"),
};

/** waitpid(pid, options) -> status, pid: wait4 (see the header). */
function occlum_waitpid(t: Thread, pid: number, options: number): Promise<WaitResult> {
  if ((options & ~WAIT4_OPTIONS) !== 0) throw sysErr(Errno.INVAL);
  if (pid === INT_MIN) throw sysErr(Errno.SRCH); // -INT_MIN is no pid (Linux's check)
  return waitChild(t, selectorOf(t, pid), {
    exited: true, stopped: (options & WUNTRACED) !== 0, continued: (options & WCONTINUED) !== 0, nohang: (options & WNOHANG) !== 0, keep: false,
  });
}

/** waitid's siginfo: si_signo, si_code, si_pid, si_status (all 0 when nothing was reported). */
const childInfoOut: RetCodec<WaitResult> = {
  kind: "siginfo", wasm: ["i32"],
  encode: (m, p, i, v) => {
    const ptr = (p[i] as number) >>> 0;
    m.check(ptr, 16, 4);
    const [signo, code, status] = childInfo(v);
    m.dv.setInt32(ptr, signo, true);
    m.dv.setInt32(ptr + 4, code, true);
    m.dv.setInt32(ptr + 8, v.pid, true);
    m.dv.setInt32(ptr + 12, status, true);
  },
  show: (v) => {
    const [signo, code, status] = childInfo(v);
    return `{signo ${signo}, code ${code}, pid ${v.pid}, status ${status}}`;
  },
};

function childInfo(r: WaitResult): [number, number, number] {
  if (!("event" in r)) return [0, 0, 0];
  const e = r.event;
  if (e.kind === "stopped") return [SIGCHLD, SigCode.CLD_STOPPED, e.signo];
  if (e.kind === "continued") return [SIGCHLD, SigCode.CLD_CONTINUED, SIGCONT];
  return e.status.kind === "exit" ? [SIGCHLD, SigCode.CLD_EXITED, e.status.code] : [SIGCHLD, SigCode.CLD_KILLED, e.status.signo];
}

/** waitid(idtype, id, options) -> siginfo (see the header). */
function occlum_waitid(t: Thread, idtype: number, id: number, options: number): Promise<WaitResult> {
  if ((options & ~WAITID_OPTIONS) !== 0 || (options & (WEXITED | WUNTRACED | WCONTINUED)) === 0) throw sysErr(Errno.INVAL);
  let sel: ChildSelector;
  if (idtype === P_ALL) sel = { any: true };
  else if (idtype === P_PID) {
    if (id <= 0) throw sysErr(Errno.INVAL);
    sel = { pid: id };
  } else if (idtype === P_PGID) {
    if (id < 0) throw sysErr(Errno.INVAL);
    sel = { pgid: id === 0 ? t.process.pgid : id };
  } else if (idtype === P_PIDFD) {
    throw sysErr(id < 0 ? Errno.INVAL : Errno.BADF);
  } else throw sysErr(Errno.INVAL);
  return waitChild(t, sel, {
    exited: (options & WEXITED) !== 0, stopped: (options & WUNTRACED) !== 0, continued: (options & WCONTINUED) !== 0,
    nohang: (options & WNOHANG) !== 0, keep: (options & WNOWAIT) !== 0,
  });
}

const B = { blocking: true } as const;

export const occlumWaitRows: readonly SyscallRow[] = [
  row("waitpid", [i32, A.u32], waitOut, occlum_waitpid, { ...B, note: "wait4 with WNOHANG, WUNTRACED, WCONTINUED (EINVAL for other bits); the status word as Linux's; restarted under SA_RESTART" }),
  row("waitid", [A.u32, i32, A.u32], childInfoOut, occlum_waitid, { ...B, note: "P_ALL, P_PID, P_PGID (0: own group); WEXITED, WSTOPPED, WCONTINUED, WNOHANG, WNOWAIT; si_signo, si_code, si_pid, si_status (4 x i32)" }),
];
