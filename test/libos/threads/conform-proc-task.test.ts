/**
 * Differential conformance of threads in /proc and thread names: /proc/<pid>/task lists every
 * thread, each with its comm, status (Name, Tgid, Pid = its tid, Threads) and stat (its tid, name,
 * num_threads, utime); /proc/<pid>/comm is the main thread's name; pthread_setname_np,
 * prctl(PR_SET_NAME/PR_GET_NAME, names cut to 15 bytes) and writes to a thread's comm (cut to 15
 * bytes, a newline kept, the whole write counted) rename it, and pthread_getname_np reads it back
 * (ERANGE for a buffer under 16 bytes, as glibc); a joined thread's task is gone; /proc/thread-self links to the calling thread's task
 * directory. CPU times
 * (utime) follow a thread that computes. test/guest/threads/conform_proc_task.c prints exactly
 * what Linux prints. LINUX is its output on Linux 6.18, glibc (`gcc -O2 -pthread -o
 * /tmp/pt/conform_proc_task test/guest/threads/conform_proc_task.c && /tmp/pt/conform_proc_task`;
 * the same over repeated runs). Before, /proc had no task directories or comm files, names lived
 * in the libc only, and sys/prctl.h did not exist (the program did not compile).
 */

import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "threads in /proc and thread names", source: "test/guest/threads/conform_proc_task.c", linux: () => LINUX, flags: ["-pthread"], acrossVcpus: true });

const LINUX = `pthread_setname_np(t1, "worker-a"): 0
pthread_setname_np, 16 bytes: ERANGE
/proc/self/task: 3 entries, main's tid 1 time(s), the two others 2
task main comm: "conform_proc_ta\\n"
  status: Name conform_proc_ta, Tgid is the pid 1, Pid is its tid 1, Threads 3
  stat: pid field is its tid 1, comm (conform_proc_ta), num_threads 3
task t1 comm: "worker-a\\n"
  status: Name worker-a, Tgid is the pid 1, Pid is its tid 1, Threads 3
  stat: pid field is its tid 1, comm (worker-a), num_threads 3
task t2 comm: "conform_proc_ta\\n"
  status: Name conform_proc_ta, Tgid is the pid 1, Pid is its tid 1, Threads 3
  stat: pid field is its tid 1, comm (conform_proc_ta), num_threads 3
/proc/self/comm: "conform_proc_ta\\n"
utime after 150 ms of computing, main's and the process's at least 0.1 s: 1 1, t1's (waiting) below: 1
/proc/self/stat num_threads: 3
a task nobody has: open: ENOENT
prctl(PR_SET_NAME, "mainly"): 0
prctl(PR_GET_NAME): 0 "mainly"
/proc/self/comm: "mainly\\n"
/proc/self/status Name: mainly
/proc/self/stat comm: (mainly)
prctl(PR_SET_NAME, 20 bytes): 0
/proc/self/comm: "abcdefghijklmno\\n"
write 7 bytes: 7
pthread_getname_np(t2): 0 "renamed"
write 22 bytes: 22
task t2 comm: "a-name-of-twent\\n"
write 3 bytes: 3
task t2 comm: "nl\\n\\n"
pthread_getname_np(t1), 8-byte buffer: ERANGE
main: /proc/thread-self is "<pid>/task/<tid>": 1
main: /proc/thread-self/comm: "abcdefghijklmno\\n"
main: /proc/thread-self/stat pid field is its tid: 1
t1 joined, its comm: open: ENOENT
t1: /proc/thread-self is "<pid>/task/<tid>": 1, its comm: worker-a\\n
t2: /proc/thread-self is "<pid>/task/<tid>": 1, its comm: nl\\n\\n
/proc/self/task after the joins: 1 entries
`;
