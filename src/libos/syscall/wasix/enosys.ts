/**
 * Every wasix_32v1 call Debian's wasix-libc imports (its lib/wasm32-wasi/libc.imports). A name no
 * family file implements becomes an ENOSYS row (support "none"): a binary importing it still
 * instantiates, and the call fails as an unknown syscall does on Linux.
 */
import { R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, SysError } from "../errno.ts";

export const LIBC_WASIX_IMPORTS = [
  "call_dynamic", "callback_signal", "chdir", "clock_time_set", "closure_allocate", "closure_free", "closure_prepare",
  "context_create", "context_destroy", "context_switch", "dl_invalid_handle", "dlopen", "dlsym",
  "epoll_create", "epoll_ctl", "epoll_wait", "fd_dup", "fd_dup2", "fd_event", "fd_fdflags_get", "fd_fdflags_set", "fd_pipe",
  "futex_wait", "futex_wake", "futex_wake_all", "getcwd", "path_open2",
  "port_addr_add", "port_addr_clear", "port_addr_list", "port_addr_remove", "port_bridge", "port_dhcp_acquire",
  "port_gateway_set", "port_mac", "port_route_add", "port_route_clear", "port_route_list", "port_route_remove", "port_unbridge",
  "proc_exec", "proc_exec2", "proc_exec3", "proc_exit2", "proc_fork", "proc_fork_env", "proc_id", "proc_join", "proc_parent",
  "proc_raise_interval", "proc_signal", "proc_signals_get", "proc_signals_sizes_get", "proc_snapshot", "proc_spawn", "proc_spawn2",
  "reflect_signature", "resolve", "sock_accept_v2", "sock_addr_local", "sock_addr_peer", "sock_bind", "sock_connect",
  "sock_get_opt_flag", "sock_get_opt_size", "sock_get_opt_time", "sock_join_multicast_v4", "sock_join_multicast_v6",
  "sock_leave_multicast_v4", "sock_leave_multicast_v6", "sock_listen", "sock_open", "sock_pair", "sock_recv_from",
  "sock_send_file", "sock_send_to", "sock_set_opt_flag", "sock_set_opt_size", "sock_set_opt_time", "sock_status",
  "stack_checkpoint", "stack_restore", "thread_exit", "thread_id", "thread_join", "thread_parallelism", "thread_signal",
  "thread_sleep", "thread_spawn_v2", "tty_get", "tty_set",
] as const;

const ENOSYS = new SysError(Errno.NOSYS);

/** An ENOSYS row (its wasm parameters are ignored; strace shows the name only). */
export function enosysRow(name: string): SyscallRow {
  return row(name, [], R.none, () => {
    throw ENOSYS;
  }, { support: "none", note: "not implemented: ENOSYS" });
}
