/**
 * The `occlum` module's socket rows: sendmsg / recvmsg with SCM_RIGHTS, SCM_CREDENTIALS (the _v2
 * pair) and Linux MSG_* flags (MSG_NOSIGNAL), which WASIX's sock_send_to / sock_recv_from cannot
 * carry, and SO_PASSCRED / SO_PEERCRED, which WASIX's sock_option enum cannot name.
 * sdk/libc/sockets.c makes these calls. The handlers live with the other socket rows (wasix/sock-rows.ts), loaded on
 * the first call so that a wasip1 program's start-up never loads the socket stack.
 */
import { A, R, type RetCodec } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import type { Thread } from "../../process/thread.ts";

type Handlers = typeof import("../wasix/sock-rows.ts");
let handlers: Handlers | undefined;
function withHandlers<T>(f: (h: Handlers) => T | Promise<T>): T | Promise<T> {
  return handlers ? f(handlers) : import("../wasix/sock-rows.ts").then((m) => f((handlers = m)));
}

const u32 = (v: number | bigint): number => Number(v) >>> 0;

/** occlum sock_recvmsg's result: bytes read, fds installed (written at fdsPtr), Linux msg_flags. */
export interface RecvMsgOut {
  n: number;
  nfds: number;
  msgFlags: number;
  /** sock_recvmsg_v2: the sender's credentials were written (the socket has SO_PASSCRED). */
  hasCred: boolean;
}

const sent: RetCodec<number> = { kind: "size", wasm: ["i32"], encode: (m, p, i, v) => m.setU32(u32(p[i]!), v), show: (v) => String(v) };
/** three u32 out-pointers: (bytes, fds, msg_flags) */
const recvMsg: RetCodec<RecvMsgOut> = {
  kind: "recvmsg", wasm: ["i32", "i32", "i32"],
  encode: (m, p, i, v) => {
    m.setU32(u32(p[i]!), v.n);
    m.setU32(u32(p[i + 1]!), v.nfds);
    m.setU32(u32(p[i + 2]!), v.msgFlags);
  },
  show: (v) => `${v.n}, fds=${v.nfds}, flags=0x${v.msgFlags.toString(16)}`,
};
/** four u32 out-pointers: (bytes, fds, msg_flags, has_cred) */
const recvMsg2: RetCodec<RecvMsgOut> = {
  kind: "recvmsg2", wasm: ["i32", "i32", "i32", "i32"],
  encode: (m, p, i, v) => {
    recvMsg.encode(m, p, i, v, []);
    m.setU32(u32(p[i + 3]!), +v.hasCred);
  },
  show: (v) => `${recvMsg.show(v)}${v.hasCred ? ", cred" : ""}`,
};

/** sock_sendmsg(fd, iovs, flags, addr, fds, nfds) -> sent */
function sock_sendmsg(t: Thread, fd: number, iovs: Uint8Array[], flags: number, addr: number, fds: number, nfds: number): number | Promise<number> {
  return withHandlers((h) => h.occlum_sock_sendmsg(t, fd, iovs, flags, addr, fds, nfds));
}

/** sock_recvmsg(fd, iovs, flags, fds, max_fds, addr) -> (bytes, nfds, msg_flags) */
function sock_recvmsg(t: Thread, fd: number, iovs: Uint8Array[], flags: number, fds: number, maxFds: number, addr: number): RecvMsgOut | Promise<RecvMsgOut> {
  return withHandlers((h) => h.occlum_sock_recvmsg(t, fd, iovs, flags, fds, maxFds, addr));
}

/** sock_sendmsg_v2(fd, iovs, flags, addr, fds, nfds, cred) -> sent */
function sock_sendmsg_v2(t: Thread, fd: number, iovs: Uint8Array[], flags: number, addr: number, fds: number, nfds: number, cred: number): number | Promise<number> {
  return withHandlers((h) => h.occlum_sock_sendmsg(t, fd, iovs, flags, addr, fds, nfds, cred));
}

/** sock_recvmsg_v2(fd, iovs, flags, fds, max_fds, addr, cred) -> (bytes, nfds, msg_flags, has_cred) */
function sock_recvmsg_v2(t: Thread, fd: number, iovs: Uint8Array[], flags: number, fds: number, maxFds: number, addr: number, cred: number): RecvMsgOut | Promise<RecvMsgOut> {
  return withHandlers((h) => h.occlum_sock_recvmsg(t, fd, iovs, flags, fds, maxFds, addr, cred));
}

function sock_setsockopt(t: Thread, fd: number, level: number, name: number, val: number, len: number): void | Promise<void> {
  return withHandlers((h) => h.occlum_sock_setsockopt(t, fd, level, name, val, len));
}

function sock_getsockopt(t: Thread, fd: number, level: number, name: number, val: number, lenPtr: number): void | Promise<void> {
  return withHandlers((h) => h.occlum_sock_getsockopt(t, fd, level, name, val, lenPtr));
}

const B = { blocking: true } as const;

export const occlumSockRows: readonly SyscallRow[] = [
  row("sock_sendmsg", [A.fd, A.iovecs, A.u32, A.u32, A.u32, A.u32], sent, sock_sendmsg, {
    ...B, note: "sendmsg (and send/sendto with MSG_NOSIGNAL): Linux MSG_* flags (MSG_NOSIGNAL: EPIPE without SIGPIPE; MSG_DONTWAIT), an optional __wasi_addr_port_t, SCM_RIGHTS fds (AF_UNIX only)",
  }),
  row("sock_recvmsg", [A.fd, A.iovecs, A.u32, A.u32, A.u32, A.u32], recvMsg, sock_recvmsg, {
    ...B, note: "recvmsg: SCM_RIGHTS fds installed (MSG_CTRUNC past max_fds, MSG_CMSG_CLOEXEC), MSG_PEEK/WAITALL/DONTWAIT/TRUNC, the sender's address",
  }),
  row("sock_sendmsg_v2", [A.fd, A.iovecs, A.u32, A.u32, A.u32, A.u32, A.u32], sent, sock_sendmsg_v2, {
    ...B, note: "sock_sendmsg with SCM_CREDENTIALS (struct ucred at `cred`, 0 = none): any pid that exists, as for a privileged Linux sender (every process is uid 0)",
  }),
  row("sock_recvmsg_v2", [A.fd, A.iovecs, A.u32, A.u32, A.u32, A.u32, A.u32], recvMsg2, sock_recvmsg_v2, {
    ...B, note: "sock_recvmsg with the sender's credentials at `cred` when the socket has SO_PASSCRED (has_cred = 1)",
  }),
  row("sock_setsockopt", [A.fd, A.u32, A.u32, A.u32, A.u32], R.none, sock_setsockopt, {
    ...B, note: "Linux numbering, options WASIX cannot name: SOL_SOCKET SO_PASSCRED; IPPROTO_TCP TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT",
  }),
  row("sock_getsockopt", [A.fd, A.u32, A.u32, A.u32, A.u32], R.none, sock_getsockopt, {
    ...B, note: "Linux numbering, options WASIX cannot name or the libc reads wrong: SOL_SOCKET SO_PASSCRED, SO_PEERCRED (struct ucred), SO_ERROR, SO_PROTOCOL, SO_DOMAIN (ints); IPPROTO_TCP TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT",
  }),
];
