/**
 * libos: the occlum-ts kernel. Its public surface for the CLI and tools:
 *
 *   runInstance({ instanceDir, path, args?, stdio?, env?, logger?, signal?, extraFiles?, verifyImage? })
 *     => Promise<number>   boot a built instance and run one program; resolves with the exit code
 *   runProgram({ fs, exe, argv, env, stdio, stderr, log, ... })
 *     => Promise<number>   the same on file systems mounted by the caller
 *
 * Inside: sched/ (executor, wait queues, clocks), syscall/ (the WASI table, dispatch, handlers),
 * process/ (processes, threads, fd tables), loader/ (validation, compile cache, instrumentation,
 * imports), fs/ (the VFS; fs/console.ts is the host terminal), net/ (the socket interface).
 */
export { runInstance, runProgram, checkProgramPath, mergeEnv, type RunOptions, type ProgramOptions } from "./boot.ts";
export { Logger, LogLevel, parseLogLevel } from "./log.ts";
export { ConsoleInput, ConsoleOutput } from "./fs/console.ts";
export { supportDoc } from "./syscall/support-doc.ts";
export type { SocketFile } from "./net/socket.ts";
