/**
 * How a process ends, and the control-flow exceptions that unwind a guest stack to get there.
 * They are thrown through wasm frames by an import and caught by the runner (process/run.ts);
 * dispatch never turns them into errno values.
 */

export type ExitStatus = { readonly kind: "exit"; readonly code: number } | { readonly kind: "signal"; readonly signo: number };

/** proc_exit: the whole process ends with this status. */
export class ProcessExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit(${code})`);
    this.name = "ProcessExit";
    this.code = code;
  }
}

/** The thread was killed (a fatal signal or another thread's exit) while in the kernel. */
export class ThreadKilled extends Error {
  constructor() {
    super("killed");
    this.name = "ThreadKilled";
  }
}

/** Linux's wait status shape, for exit codes: Occlum's occlum-run returns `WEXITSTATUS & 0x7F` or 128 + signo. */
export function hostExitCode(s: ExitStatus): number {
  return s.kind === "exit" ? (s.code & 0xff) & 0x7f : 128 + s.signo;
}
