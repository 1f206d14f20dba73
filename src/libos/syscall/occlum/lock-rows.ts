/**
 * The `occlum` module's file locks (fs/locks.ts), for sdk/libc/locks.c: fcntl's F_GETLK, F_SETLK,
 * F_SETLKW and their F_OFD_ forms in one call, `file_lock(fd, cmd, flock*)`, and `flock(fd, op)`.
 * WASI and WASIX have no file locks; Debian's wasix-libc hides fcntl's lock commands and has no
 * flock() or lockf().
 *
 * The guest passes musl's struct flock as wasm32 lays it out: l_type i16 at 0, l_whence i16 at 2,
 * l_start i64 at 8, l_len i64 at 16, l_pid i32 at 24 (32 bytes), with Linux's values (F_RDLCK 0,
 * F_WRLCK 1, F_UNLCK 2; SEEK_SET 0, SEEK_CUR 1, SEEK_END 2). The checks and the errors are Linux's
 * (fs/fcntl.c, fs/locks.c): EBADF for a read lock on a description not open for reading (a write
 * lock, writing), EINVAL for a bad type, whence or range, or a nonzero l_pid on an OFD call,
 * EAGAIN for a conflicting F_SETLK, EDEADLK when an F_SETLKW would close a cycle of waiting
 * processes, EINTR (restarted under SA_RESTART) when a signal's handler runs during a wait.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import { ERESTARTSYS } from "../blocking.ts";
import type { Thread } from "../../process/thread.ts";
import type { OpenFile } from "../../fs/types.ts";
import { onLastRelease } from "../../process/file-refs.ts";
import {
  END_INF, LockType, lockKey, releaseRecordLocks, testLock, trySetLock, tryFlock, unflock, waitForFlock, waitForLocks,
  wouldDeadlock, type LockKind, type LockRequest,
} from "../../fs/locks.ts";

/** file_lock's commands (sdk/libc/locks.c maps the libc's F_* onto these). */
export const LockCmd = { GETLK: 0, SETLK: 1, SETLKW: 2, OFD_GETLK: 3, OFD_SETLK: 4, OFD_SETLKW: 5 } as const;
/** flock()'s operation bits, as Linux's. */
const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

const FLOCK_SIZE = 32;
const OFF_MAX = (1n << 63n) - 1n;

/** Descriptions whose last close already drops their OFD and flock locks. */
const hooked = new WeakSet<OpenFile>();

function dropOnLastClose(file: OpenFile, key: string): void {
  if (hooked.has(file)) return;
  hooked.add(file);
  onLastRelease(file, () => {
    releaseRecordLocks(key, file, "ofd");
    unflock(key, file);
  });
}

type Maybe<T> = T | Promise<T>;

function then<T, U>(v: Maybe<T>, f: (v: T) => Maybe<U>): Maybe<U> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/** file_lock(fd, cmd, flock*) */
function occlum_file_lock(t: Thread, fd: number, cmd: number, ptr: number): Maybe<void> {
  if (cmd < LockCmd.GETLK || cmd > LockCmd.OFD_SETLKW) throw sysErr(Errno.INVAL);
  const file = t.process.fds.get(fd).file;
  const m = t.process.memory;
  if (!m) throw sysErr(Errno.FAULT);
  m.check(ptr, FLOCK_SIZE, 8);
  const dv = m.dv;
  const type = dv.getInt16(ptr, true);
  const whence = dv.getInt16(ptr + 2, true);
  const lStart = dv.getBigInt64(ptr + 8, true);
  const lLen = dv.getBigInt64(ptr + 16, true);
  const lPid = dv.getInt32(ptr + 24, true);
  const ofd = cmd >= LockCmd.OFD_GETLK;
  const getlk = cmd === LockCmd.GETLK || cmd === LockCmd.OFD_GETLK;
  const wait = cmd === LockCmd.SETLKW || cmd === LockCmd.OFD_SETLKW;
  if (type !== LockType.RD && type !== LockType.WR && type !== LockType.UN) throw sysErr(Errno.INVAL);
  if (getlk && type === LockType.UN) throw sysErr(Errno.INVAL);
  if (ofd && lPid !== 0) throw sysErr(Errno.INVAL);
  if (!getlk && type === LockType.RD && !file.readable) throw sysErr(Errno.BADF);
  if (!getlk && type === LockType.WR && !file.writable) throw sysErr(Errno.BADF);
  if (whence < 0 || whence > 2) throw sysErr(Errno.INVAL);
  const base: Maybe<bigint> = whence === 0 ? 0n : whence === 1 ? file.tell() : then(file.stat(), (s) => s.size);
  return then(base, (b) => then(lockKey(file), (key) => {
    let start = b + lStart;
    let end: bigint;
    if (lLen > 0n) {
      end = start + lLen;
      if (end - 1n > OFF_MAX) throw sysErr(Errno.OVERFLOW);
    } else if (lLen === 0n) {
      end = END_INF;
    } else {
      end = start;
      start += lLen;
    }
    if (start < 0n) throw sysErr(Errno.INVAL);
    const kind: LockKind = ofd ? "ofd" : "posix";
    const req: LockRequest = { owner: ofd ? file : t.process, kind, type, start, end, pid: ofd ? -1 : t.process.pid };
    if (getlk) {
      const c = testLock(key, req);
      if (c === undefined) {
        dv.setInt16(ptr, LockType.UN, true);
      } else {
        dv.setInt16(ptr, c.type, true);
        dv.setInt16(ptr + 2, 0, true);
        dv.setBigInt64(ptr + 8, c.start, true);
        dv.setBigInt64(ptr + 16, c.end === END_INF ? 0n : c.end - c.start, true);
        dv.setInt32(ptr + 24, c.pid, true);
      }
      return;
    }
    if (ofd) dropOnLastClose(file, key);
    return setLock(t, key, req, wait);
  }));
}

function setLock(t: Thread, key: string, req: LockRequest, wait: boolean): Maybe<void> {
  const c = trySetLock(key, req);
  if (c === undefined) return;
  if (!wait) throw sysErr(Errno.AGAIN);
  if (wouldDeadlock(req, c)) throw sysErr(Errno.DEADLK);
  return waitForLocks(key, req, t).then((r) => {
    if (r === "interrupted") throw ERESTARTSYS;
    return setLock(t, key, req, wait);
  });
}

/** flock(fd, op) */
function occlum_flock(t: Thread, fd: number, op: number): Maybe<void> {
  const what = op & ~LOCK_NB;
  if (what !== LOCK_SH && what !== LOCK_EX && what !== LOCK_UN) throw sysErr(Errno.INVAL); // before the fd, as Linux
  const file = t.process.fds.get(fd).file;
  return then(lockKey(file), (key) => {
    if (what === LOCK_UN) return unflock(key, file);
    dropOnLastClose(file, key);
    return takeFlock(t, key, file, what === LOCK_EX, (op & LOCK_NB) !== 0);
  });
}

function takeFlock(t: Thread, key: string, file: OpenFile, exclusive: boolean, nonblock: boolean): Maybe<void> {
  if (tryFlock(key, file, exclusive)) return;
  if (nonblock) throw sysErr(Errno.AGAIN);
  return waitForFlock(key, t).then((r) => {
    if (r === "interrupted") throw ERESTARTSYS;
    return takeFlock(t, key, file, exclusive, nonblock);
  });
}

const B = { blocking: true } as const;

export const occlumLockRows: readonly SyscallRow[] = [
  row("file_lock", [A.fd, A.u32, A.u32], R.none, occlum_file_lock, { ...B, note: "fcntl record locks: cmd 0-5 = F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW on a struct flock (32 bytes); POSIX locks per process, dropped at any close of the file by it; EDEADLK for a wait cycle" }),
  row("flock", [A.fd, A.u32], R.none, occlum_flock, { ...B, note: "flock(2): LOCK_SH 1, LOCK_EX 2, LOCK_NB 4, LOCK_UN 8; per open file description, apart from record locks" }),
];
