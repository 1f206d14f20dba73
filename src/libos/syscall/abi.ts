/**
 * WASI preview 1 ABI constants and struct layouts (witx `wasi_snapshot_preview1`), as plain data.
 * Only codecs.ts reads or writes these layouts in guest memory.
 */

export const MODULE = "wasi_snapshot_preview1";

/**
 * Rights bits. WASI types them u64; every defined bit fits in 30, so the kernel keeps them as
 * plain numbers (bit tests on numbers are far cheaper than on bigint in the per-call hot path) and
 * converts at the ABI edge.
 */
export const Rights = {
  FD_DATASYNC: 1 << 0, FD_READ: 1 << 1, FD_SEEK: 1 << 2, FD_FDSTAT_SET_FLAGS: 1 << 3, FD_SYNC: 1 << 4,
  FD_TELL: 1 << 5, FD_WRITE: 1 << 6, FD_ADVISE: 1 << 7, FD_ALLOCATE: 1 << 8,
  PATH_CREATE_DIRECTORY: 1 << 9, PATH_CREATE_FILE: 1 << 10, PATH_LINK_SOURCE: 1 << 11,
  PATH_LINK_TARGET: 1 << 12, PATH_OPEN: 1 << 13, FD_READDIR: 1 << 14, PATH_READLINK: 1 << 15,
  PATH_RENAME_SOURCE: 1 << 16, PATH_RENAME_TARGET: 1 << 17, PATH_FILESTAT_GET: 1 << 18,
  PATH_FILESTAT_SET_SIZE: 1 << 19, PATH_FILESTAT_SET_TIMES: 1 << 20, FD_FILESTAT_GET: 1 << 21,
  FD_FILESTAT_SET_SIZE: 1 << 22, FD_FILESTAT_SET_TIMES: 1 << 23, PATH_SYMLINK: 1 << 24,
  PATH_REMOVE_DIRECTORY: 1 << 25, PATH_UNLINK_FILE: 1 << 26, POLL_FD_READWRITE: 1 << 27,
  SOCK_SHUTDOWN: 1 << 28, SOCK_ACCEPT: 1 << 29,
} as const;
export const RIGHTS_ALL = (1 << 30) - 1;

export const ClockId = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3 } as const;

export const EventType = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;
export const SUBCLOCKFLAGS_ABSTIME = 1;
export const EVENTRWFLAGS_HANGUP = 1;

export const Advice = { NORMAL: 0, SEQUENTIAL: 1, RANDOM: 2, WILLNEED: 3, DONTNEED: 4, NOREUSE: 5 } as const;
export const SdFlags = { RD: 1, WR: 2 } as const;
/** riflags: preview 1's PEEK and WAITALL, and WASIX's RECV_DONT_WAIT (MSG_DONTWAIT for this call). */
export const RiFlags = { RECV_PEEK: 1, RECV_WAITALL: 2, RECV_DONT_WAIT: 8 } as const;
export const RoFlags = { RECV_DATA_TRUNCATED: 1 } as const;
export const PREOPENTYPE_DIR = 0;

/** Valid bits of each flag set (anything else is EINVAL, as wasmtime's bitflags parsing). */
export const FDFLAGS_MASK = 0x1f;
export const OFLAGS_MASK = 0xf;
export const FSTFLAGS_MASK = 0xf;
export const LOOKUPFLAGS_MASK = 0x1;
export const SDFLAGS_MASK = 0x3;

/** Struct sizes and alignments. */
export const Layout = {
  iovec: { size: 8, align: 4 },
  fdstat: { size: 24, align: 8 }, // filetype u8 @0, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16
  filestat: { size: 64, align: 8 }, // dev @0 ino @8 filetype u8 @16 nlink @24 size @32 atim @40 mtim @48 ctim @56
  prestat: { size: 8, align: 4 }, // tag u8 @0, dir name_len u32 @4
  dirent: { size: 24, align: 8 }, // d_next @0 d_ino @8 d_namlen u32 @16 d_type u8 @20
  subscription: { size: 48, align: 8 }, // userdata @0 tag u8 @8 union @16
  event: { size: 32, align: 8 }, // userdata @0 error u16 @8 type u8 @10 nbytes u64 @16 flags u16 @24
} as const;

/** Signal numbers (WASI numbering equals Linux's for the common ones). */
export const Signal = { HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, SEGV: 11, PIPE: 13, ALRM: 14, TERM: 15 } as const;
