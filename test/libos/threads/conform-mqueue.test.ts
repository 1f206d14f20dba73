/**
 * Differential conformance of POSIX message queues (sdk/libc/mqueue.c over the kernel's
 * occlum.mq_*, ipc/mqueue.ts), which wasix-libc declared without defining: names and the
 * namespace (EINVAL, EACCES, ENOENT, ENAMETOOLONG, O_CREAT/O_EXCL, unlink while open), attributes
 * and their bounds, RLIMIT_MSGQUEUE and RLIMIT_NOFILE (EMFILE), priorities then FIFO, full and
 * empty queues (EAGAIN), EMSGSIZE, EFAULT (a message lost to a bad buffer), access modes (EBADF),
 * getattr/setattr and fcntl's O_NONBLOCK, absolute CLOCK_REALTIME deadlines (ETIMEDOUT; a bad
 * timespec EINVAL even when the call would not wait), blocking sends and receives between threads
 * (waiters served by nice value, then in arrival order), EINTR and SA_RESTART, mq_notify
 * (SIGEV_SIGNAL with SI_MESGQ, the value and the sender's pid; SIGEV_NONE; SIGEV_THREAD; EBUSY; one
 * notification; none while a receiver waits; removed by the owner's close or exit), the queue's
 * status text read from its descriptor, a queue shared with a child process (whose spawn drops the
 * FD_CLOEXEC descriptor), poll, epoll and cancellation. test/guest/threads/conform_mqueue.c prints exactly what Linux
 * prints and exits 3. LINUX is its output on Linux 6.18, glibc, as root (`gcc -O2 -Wall -pthread
 * -o /tmp/mq test/guest/threads/conform_mqueue.c -lrt && /tmp/mq`; the same over repeated runs
 * and under `taskset -c 0`). Root's bounds on maxmsg and msgsize are higher than an unprivileged
 * process's (10 and 8192, the kernel's here), so the program only tries values outside both.
 */
import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "POSIX message queues", source: "test/guest/threads/conform_mqueue.c", linux: () => LINUX, flags: ["-pthread"], acrossVcpus: true, exitCode: 3 });

const LINUX = `-- names
mq_open("noslash", O_CREAT): -1 EINVAL
mq_open("/a/b", O_CREAT): -1 EACCES
mq_open("/", O_CREAT): -1 ENOENT
mq_open of a 255-byte name: ok
  mq_unlink: 0
mq_open of a 256-byte name: -1 ENAMETOOLONG
mq_unlink of a 256-byte name: -1 ENAMETOOLONG
mq_unlink("noslash"): -1 EINVAL
mq_unlink("/a/b"): -1 EACCES
mq_unlink of a name that does not exist: -1 ENOENT
mq_open without O_CREAT of a name that does not exist: -1 ENOENT
mq_open(O_CREAT | O_EXCL): ok
  again with O_EXCL: -1 EEXIST
  again with O_CREAT alone: ok
  two descriptors: 1, FD_CLOEXEC: 1
  fstat: 0
  S_ISREG 1, size 80
  mq_getattr (attr NULL: the defaults): nonblock 0, maxmsg 10, msgsize 8192, curmsgs 0
  again with O_CREAT and maxmsg 0 (exists: attr not looked at): ok
-- attributes at creation
maxmsg 0, msgsize 8: -1 EINVAL
maxmsg -1, msgsize 8: -1 EINVAL
maxmsg 4, msgsize 0: -1 EINVAL
maxmsg 4, msgsize -1: -1 EINVAL
maxmsg 100000, msgsize 8: -1 EINVAL
maxmsg 4, msgsize 20000000: -1 EINVAL
maxmsg 10, msgsize 8192: ok
  mq_getattr: nonblock 0, maxmsg 10, msgsize 8192, curmsgs 0
maxmsg 1, msgsize 1: ok
  mq_getattr: nonblock 0, maxmsg 1, msgsize 1, curmsgs 0
maxmsg 4, msgsize 64: ok
  mq_getattr: nonblock 0, maxmsg 4, msgsize 64, curmsgs 0
attr at a bad address: -1 EFAULT
  mq_unlink (nothing was made): -1 ENOENT
-- RLIMIT_MSGQUEUE and RLIMIT_NOFILE
RLIMIT_MSGQUEUE soft 819200
  soft limit 0: mq_open(O_CREAT) of a new queue: -1 EMFILE
  soft limit 0: mq_open of an existing queue: ok
RLIMIT_NOFILE reached: mq_open(O_CREAT): -1 EMFILE
  mq_unlink (nothing was made): -1 ENOENT
-- priorities, full and empty
mq_send "a" prio 1: 0
mq_send "b" prio 5: 0
mq_send "c" prio 1: 0
mq_send "d" prio 5: 0
  mq_getattr: nonblock 1, maxmsg 4, msgsize 64, curmsgs 4
mq_send to a full queue (O_NONBLOCK): -1 EAGAIN
  poll: 1, POLLIN 1, POLLOUT 0
  read of the queue's file: 1, "QSIZE:4          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     "
mq_receive: 1 "b" prio 5
mq_receive: 1 "d" prio 5
mq_receive: 1 "a" prio 1
mq_receive: 1 "c" prio 1
mq_receive from an empty queue (O_NONBLOCK): -1 EAGAIN
  poll: 1, POLLIN 0, POLLOUT 1
mq_send prio 32767: 0
mq_send prio 32768: -1 EINVAL
mq_send of 65 bytes (msgsize 64): -1 EMSGSIZE
mq_send of 64 bytes: 0
mq_send of 0 bytes: 0
mq_receive into 63 bytes: -1 EMSGSIZE
mq_receive into 64 bytes: 3 "top" prio 32767
mq_receive into 8192 bytes: 0 "" prio 2
mq_receive: 64 "mmmmmmmmmmmmmmmmmmmm" prio 0
mq_receive with msg_prio NULL: 2
mq_send from a bad address: -1 EFAULT
  mq_getattr: nonblock 1, maxmsg 4, msgsize 64, curmsgs 0
mq_receive to a bad address: -1 EFAULT
  mq_getattr (the message is gone): nonblock 1, maxmsg 4, msgsize 64, curmsgs 0
-- access modes and descriptors
mq_send on O_RDONLY: -1 EBADF
mq_receive on O_WRONLY: -1 EBADF
mq_send on O_WRONLY: 0
mq_receive on O_RDONLY: 1 "w" prio 0
read of O_WRONLY: -1 EBADF
write of O_RDWR: -1 EINVAL
mq_send on a pipe: -1 EBADF
mq_receive on a pipe: -1 EBADF
mq_getattr of a pipe: -1 EBADF
mq_notify on a pipe: -1 EBADF
close(mqd_t): 0
mq_send on it: -1 EBADF
mq_close(mqd_t): 0
mq_close again: -1 EBADF
mq_getattr of it: -1 EBADF
mq_send of prio 40000 on it: -1 EINVAL
mq_receive of -1: -1 EBADF
-- mq_setattr
mq_setattr(flags 0): 0
  old: nonblock 1, maxmsg 4, msgsize 64, curmsgs 0
  now (maxmsg and msgsize unchanged): nonblock 0, maxmsg 4, msgsize 64, curmsgs 0
mq_setattr(flags O_NONBLOCK | 1): -1 EINVAL
mq_setattr(O_NONBLOCK), old NULL: 0
  now: nonblock 1, maxmsg 4, msgsize 64, curmsgs 0
mq_setattr with new at a bad address: -1 EFAULT
mq_setattr(0), old at a bad address: -1 EFAULT
  now (the new flags were set): nonblock 0, maxmsg 4, msgsize 64, curmsgs 0
mq_getattr to a bad address: -1 EFAULT
fcntl(F_SETFL, O_NONBLOCK): 0
  mq_getattr: nonblock 1, maxmsg 4, msgsize 64, curmsgs 0
-- timed waits
mq_timedreceive, empty, now + 60 ms: -1 ETIMEDOUT
  waited at least 50 ms: 1
mq_timedreceive, empty, a deadline in 1970: -1 ETIMEDOUT
mq_timedreceive, empty, tv_nsec 1e9: -1 EINVAL
mq_timedreceive, empty, tv_sec -1: -1 EINVAL
mq_timedreceive, empty, timeout at a bad address: -1 EFAULT
mq_timedreceive, not empty, tv_nsec 1e9: -1 EINVAL
mq_timedreceive, not empty, a deadline in 1970: 2
mq_send to a queue of 1: 0
mq_timedsend, full, now + 60 ms: -1 ETIMEDOUT
  waited at least 50 ms: 1
mq_timedsend, full, tv_nsec -1: -1 EINVAL
mq_receive: 5 "first" prio 0
mq_timedsend, not full, tv_nsec -1: -1 EINVAL
mq_timedsend, not full, a deadline in 1970: 0
mq_receive: 6 "second" prio 0
-- blocking between threads
mq_send "wake" prio 7 to a blocked receiver: 0
  receiver: 4 "wake" prio 7, waited at least 40 ms: 1
two blocked receivers, in the order they came: first "x1", second "x2"
a receiver at nice 5, then one at nice 0: the nice-0 one got "y1", the nice-5 one "y2"
two senders blocked on a full queue of 1: nonblock 0, maxmsg 1, msgsize 16, curmsgs 1
mq_receive: 4 "full" prio 0
mq_receive: 2 "s1" prio 1
mq_receive: 2 "s2" prio 2
  senders: 0 0, the first waited at least 80 ms: 1
-- signals
mq_receive interrupted by a handler without SA_RESTART: -1 EINTR
  handler ran: 1
mq_timedsend, full, interrupted: -1 EINTR
  handler ran: 1
  drain: 1 "z" prio 0
mq_receive with SA_RESTART, a message after the signal: 5 "after" prio 0
  handler ran: 1
-- unlink while open
mq_unlink: 0
  mq_open without O_CREAT: -1 ENOENT
  mq_receive from the open descriptor: 4 "kept" prio 0
  mq_send to it: 0
  mq_open(O_CREAT | O_EXCL) of the name again: ok
  the new queue: nonblock 1, maxmsg 10, msgsize 8192, curmsgs 0
  the old queue: nonblock 1, maxmsg 4, msgsize 16, curmsgs 1
-- mq_notify
mq_notify(SIGEV_SIGNAL SIGUSR1, 1234): 0
  again from this process: -1 EBUSY
  read: "QSIZE:0          NOTIFY:0     SIGNO:10    ", NOTIFY_PID ours: 1
  mq_send to the empty queue: 0
  handler ran: 1, SIGUSR1 1, si_code SI_MESGQ 1, si_value 1234, si_pid ours 1
  mq_send to the non-empty queue: 0
  handler ran: 1
  mq_notify again (the registration went with the notification): 0
  mq_send to the non-empty queue: 0
  handler ran: 1
  mq_send to the empty queue: 0
  handler ran: 2
mq_notify(NULL) by a process that has none registered: 0
mq_notify: 0
mq_notify(NULL): 0
  mq_send: handler ran: 0
mq_notify with a receiver blocked: 0
  the receiver got "n6"; handler ran: 0
  mq_notify again (still registered): -1 EBUSY
  close of another descriptor of the queue: 0
  mq_notify again (the close removed it): 0
mq_notify(SIGEV_SIGNAL, signal 0): 0
  mq_send: handler ran: 0
  mq_notify again: 0
mq_notify(SIGEV_SIGNAL, signal 65): -1 EINVAL
mq_notify(sigev_notify 99): -1 EINVAL
mq_notify(SIGEV_THREAD_ID): -1 EINVAL
mq_notify(SIGEV_NONE): 0
  read again (at the end of the file): 0
  read after lseek(0): "QSIZE:0          NOTIFY:1     SIGNO:0     "
  after a message: mq_notify(SIGEV_NONE) again: 0
mq_notify(SIGEV_THREAD, 77): 0
  again: -1 EBUSY
  mq_send, then the function: 0
  value 77, on another thread 1
  mq_notify(SIGEV_THREAD) again: 0
  mq_notify(NULL): 0
  mq_send after mq_notify(NULL): the function ran: 0
-- between processes
mq_notify(SIGEV_SIGNAL) here: 0
  child: mq_notify(SIGEV_NONE): -1 EBUSY
  a child's mq_notify: exit 0
  child: mq_notify(SIGEV_NONE): 0
  a child registers with SIGEV_NONE and exits 3
  mq_notify here (the child's exit removed it): 0
  child: the parent's mqd_t (FD_CLOEXEC): EBADF 1
  child: mq_open: ok
  child: received 4 "ping" prio 2
  child: replying "pong" prio 3
mq_send "ping" to a child blocked in mq_receive: 0
  mq_receive of the reply: 4 "pong" prio 3
  child exit 0
-- poll, epoll, cancellation
epoll_ctl(ADD, mqd_t): 0
  epoll_wait on an empty queue: 0
  epoll_wait woken by a send: 1, data 42: 1
  poll: 1, POLLIN 1
poll(POLLOUT) of a full queue, woken by a receive: 1, POLLOUT 1
a thread blocked in mq_receive, cancelled: 1
done
`;
