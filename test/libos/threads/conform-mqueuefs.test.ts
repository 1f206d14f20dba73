/**
 * Differential conformance of the message queue file system at /dev/mqueue (fs/mqueuefs over
 * the kernel's namespace, ipc/mqueue-fs.ts): the directory lists exactly the queues (made by
 * mq_open or by open(O_CREAT) there, with the default attributes), stat shows regular files of
 * FILENT_SIZE bytes owned by root, open(2) + read(2) gives the queue's status line (QSIZE counting
 * the bytes queued; NOTIFY_PID the owner) without changing the queue, the descriptor open(2) gives
 * is an mqd_t (mq_send/mq_receive take it; closing it drops its process's registration, Linux's
 * flush), unlink is mq_unlink (open descriptors keep the queue), and mkdir, rename, link and
 * symlink there fail as Linux fails them. test/guest/threads/conform_mqueuefs.c prints exactly what
 * Linux prints. LINUX is its output on Linux 6.18, glibc, as root, with /dev/mqueue mounted
 * (`mount -t mqueue none /dev/mqueue`; `gcc -O2 -Wall -pthread -o /tmp/mqfs
 * test/guest/threads/conform_mqueuefs.c && /tmp/mqfs`: the same over repeated runs and under
 * `taskset -c 0`). Permission bits are not printed (the guest's stat has none: WASI's filestat
 * has no mode); src/libos/fs/mqueuefs/mqueuefs.test.ts checks them in the kernel.
 */
import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "the /dev/mqueue file system", source: "test/guest/threads/conform_mqueuefs.c", linux: () => LINUX, flags: ["-pthread"] });

const LINUX = `-- the directory
stat /dev/mqueue: directory
empty: . and ..: 2; queues:
-- queues made by mq_open
mq_open a, b: ok ok
after two mq_open: . and ..: 2; queues: mqfs_a mqfs_b
stat /dev/mqueue/mqfs_a: regular size 80 nlink 1 uid 0 gid 0
stat /dev/mqueue/mqfs_b: regular size 80 nlink 1 uid 0 gid 0
fstat(mqd): regular size 80
stat /dev/mqueue/mqfs_none: -1 ENOENT
-- the status line
empty queue: 60 bytes [QSIZE:0          NOTIFY:0     SIGNO:0     NOTIFY_PID:] pid 0; then read: 0
mq_send 5: 0
mq_send 10: 0
mq_send 7: 0
3 messages: 60 bytes [QSIZE:22         NOTIFY:0     SIGNO:0     NOTIFY_PID:] pid 0; then read: 0
after the read: curmsgs 3
mq_notify(a): 0
registered: 60 bytes [QSIZE:22         NOTIFY:0     SIGNO:10    NOTIFY_PID:] pid mine; then read: 0
mq_notify(a) again: 0
mq_notify(a, NULL): 0
-- the file as a descriptor
open O_WRONLY: 0
mq_send on it: 0
write on it: -1 EINVAL
mq_receive on it: -1 EBADF
curmsgs 4
mq_receive on an open(2) fd: 10 prio 3
-- unlink through the file system
unlink /dev/mqueue/mqfs_a: 0
mq_open /mqfs_a without O_CREAT: ENOENT
stat /dev/mqueue/mqfs_a: -1 ENOENT
after the unlink: . and ..: 2; queues: mqfs_b
the open mqd still receives: 5 prio 1
fstat(mqd) nlink 0
unlink again: -1 ENOENT
mq_unlink after: -1 ENOENT
-- open(O_CREAT) in the directory
open O_CREAT: 0
stat /dev/mqueue/mqfs_c: regular size 80 nlink 1 uid 0 gid 0
after open(O_CREAT): . and ..: 2; queues: mqfs_b mqfs_c
mq_open /mqfs_c: ok
its attributes: maxmsg 10 msgsize 8192 curmsgs 0
mq_send on the open(2) fd: 0
after a send: 60 bytes [QSIZE:3          NOTIFY:0     SIGNO:0     NOTIFY_PID:] pid 0; then read: 0
open O_CREAT|O_EXCL again: -1 EEXIST
open O_CREAT of an existing queue: 0
open without O_CREAT of a missing one: -1 ENOENT
mq_open O_CREAT|O_EXCL of it: EEXIST
-- what the directory refuses
mkdir: -1 EPERM
rename in it: -1 EPERM
rename out of it: -1 EXDEV
link in it: -1 EPERM
symlink in it: -1 EPERM
rmdir of a queue: -1 ENOTDIR
unlink of a missing name: -1 ENOENT
open O_DIRECTORY of a queue: -1 ENOTDIR
after the refusals: . and ..: 2; queues: mqfs_b mqfs_c
-- cleanup
unlink b: 0
mq_unlink c: 0
at the end: . and ..: 2; queues:
`;
