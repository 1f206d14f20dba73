/**
 * Differential conformance of readiness (test/guest/net/conform_poll_{epoll,select,states}.c, run
 * in that order; shared helpers in conform_poll.h): epoll_ctl's errors, level/edge-triggered and
 * one-shot epoll, hang-ups of pipes, socketpairs and loopback TCP, nested epolls, maxevents
 * rotation, EPOLLEXCLUSIVE (one of four blocked epolls wakes), poll() (fd -1, POLLNVAL, POLLHUP/POLLERR with events 0, POLLRDHUP), select() (EBADF,
 * timeouts), waits woken by a thread or ended by a signal, the signal mask of
 * epoll_pwait/ppoll/pselect, UDP, TCP connect/refused/reset states, unix listeners, more ready fds
 * than the libc's 64-event buffer, and EFAULT for pointers the kernel cannot copy.
 *
 * Each EXPECTED_* is its program's output on Linux (gcc -O2 -pthread
 * test/guest/net/conform_poll_<part>.c && ./a.out, on this machine's Linux x86-64), copied
 * unchanged; the three were split from one program and their outputs, concatenated, are its
 * output. Before sdk/libc/{epoll,poll}.c, occlum.poll (syscall/occlum/poll-rows.ts) and the ELOOP
 * check of net/epoll.ts, 67 of these lines differed under occlum-ts (ppoll did not even link):
 * epoll_ctl returned the errno as a positive value, epoll_create1 ignored its flags, an epoll loop
 * recursed in the kernel's poll (EIO), poll() could not report POLLNVAL, POLLERR, POLLRDHUP or a
 * lone POLLHUP and failed for events 0, select() failed with ENOSYS, epoll_wait returned at most 64
 * events, the signal masks of epoll_pwait/pselect were ignored (then, until occlum.ppoll and
 * occlum.epoll_pwait, swapped around the wait: a pending signal the mask unblocked ran its handler
 * and the wait ran out its timeout instead of failing with EINTR at once), and a bad pointer to poll() killed
 * the process (a wasm trap) where Linux says EFAULT. Until sdk/include/poll.h gave POLLPRI a bit
 * of its own, a poll for POLLPRI alone woke on ordinary data (the libc's header makes it POLLIN).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
let inst: Instance;
const PARTS = ["epoll", "select", "states"];

before(async () => {
  if (skip) return;
  const programs: Record<string, string> = {};
  for (const part of PARTS) {
    programs[`/bin/conform_poll_${part}`] = await buildGuest(`test/guest/net/conform_poll_${part}.c`, { mode: "posix" });
  }
  inst = await makeInstance({ programs });
});

after(async () => {
  await inst?.cleanup();
});

// Linux's output (see above).
const EXPECTED_EPOLL = [
  "ctl add: 0",
  "ctl add twice: -1 EEXIST",
  "ctl mod unregistered: -1 ENOENT",
  "ctl del unregistered: -1 ENOENT",
  "ctl epfd not epoll: -1 EINVAL",
  "ctl add itself: -1 EINVAL",
  "ctl regular file: -1 EPERM",
  "ctl bad fd: -1 EBADF",
  "ctl bad epfd: -1 EBADF",
  "ctl bad op: -1 EFAULT",
  "ctl bad op with event: -1 EINVAL",
  "ctl del NULL event: 0",
  "ctl del again: -1 ENOENT",
  "ctl mod after del: -1 ENOENT",
  "ctl add exclusive: 0",
  "ctl mod exclusive: -1 EINVAL",
  "ctl del exclusive: 0",
  "ctl add exclusive oneshot: -1 EINVAL",
  "ctl add: 0",
  "ctl mod to exclusive: -1 EINVAL",
  "epoll_create1 bad flags: -1 EINVAL",
  "epoll_create 0: -1 EINVAL",
  "epoll_create 1: 0",
  "epoll_create1 cloexec: 0",
  "cloexec flag: 1",
  "ctl add epoll in epoll: 0",
  "ctl add loop: -1 ELOOP",
  "wait maxevents -1: -1 EINVAL",
  "wait maxevents 0: -1 EINVAL",
  "wait bad epfd: -1 EBADF",
  "wait epfd not epoll: -1 EINVAL",
  "wait timeout 0: 0",
  "wait timeout 10: 0",
  "trig empty: 0",
  "trig first: 3 1=IN 2=IN 3=IN",
  "trig second: 1 1=IN",
  "trig more data: 2 1=IN 2=IN",
  "trig more data again: 1 1=IN",
  "oneshot mod: 0",
  "trig after mod: 2 1=IN 33=IN",
  "trig after mod again: 1 1=IN",
  "oneshot mod out: 0",
  "trig oneshot mod out: 1 1=IN",
  "trig lt drained: 0",
  "et sock empty: 0",
  "et sock data: 1 4=IN",
  "et sock again: 0",
  "et sock new data: 1 4=IN",
  "et inout first: 1 5=IN|OUT",
  "et inout again: 0",
  "et inout new data: 1 5=IN|OUT",
  "closed fd with dup: 1 2=IN",
  "del closed fd: -1 EBADF",
  "closed last fd: 0",
  "pipe writer fresh: 1 1=OUT",
  "pipe reader, writer closed, data: 1 2=IN|HUP",
  "pipe reader, writer closed, empty: 1 2=HUP",
  "pipe reader events 0, writer closed: 1 3=HUP",
  "pipe writer, reader closed: 1 4=OUT|ERR",
  "pipe writer events 0, reader closed: 1 5=ERR",
  "sockpair fresh: 1 6=OUT",
  "sockpair peer shut wr: 1 6=IN|OUT|RDHUP",
  "sockpair both shut wr: 1 6=IN|OUT|HUP|RDHUP",
  "sockpair peer closed: 1 7=IN|OUT|HUP|RDHUP",
  "sockpair self shut rd: 1 8=IN|OUT|RDHUP",
  "sockpair self shut rdwr: 1 9=IN|OUT|HUP",
  "dgram pair fresh: 1 10=OUT",
  "dgram pair data: 1 10=IN|OUT",
  "nested idle: 0",
  "nested ready: 1 2=IN",
  "inner ready: 1 1=IN",
  "nested drained: 0",
  "rotation maxevents 1 x4: total 4 each 1 1 1 1",
  "rotation maxevents 3 x4: total 12 each 3 3 3 3",
  "tcp listener idle: 0",
  "tcp unconnected socket: 1 2=OUT|HUP",
  "tcp listener pending: 1 1=IN",
  "tcp listener accepted: 0",
  "tcp client connected: 1 2=OUT",
  "tcp client data: 1 2=IN",
  "tcp client drained: 0",
  "tcp peer shut wr: 1 2=IN|RDHUP",
  "tcp peer shut wr, all: 1 2=IN|OUT|RDHUP",
  "4 epolls, not exclusive: woken 4",
  "4 epolls, exclusive: woken 1",
  "4 epolls, exclusive edge-triggered: woken 1",
];

// Linux's output (see above).
const EXPECTED_SELECT = [
  "poll pipe: 2 0 OUT 0 NVAL",
  "poll data: 2 IN OUT",
  "poll events 0: 0 0",
  "poll rdnorm: 1 1",
  "poll wrnorm: 1 1",
  "poll writer closed, data: 1 IN|HUP",
  "poll writer closed, empty: 1 HUP",
  "poll writer closed, events 0: 1 HUP",
  "poll reader closed: 1 OUT|ERR",
  "poll reader closed, events 0: 1 ERR",
  "poll timeout 10: 0 0",
  "poll nfds 0: 0",
  "poll nfds 0 timeout 10: 0",
  "poll only fd -1: 0",
  "poll bad fd events 0: 1 NVAL",
  "poll sockpair fresh: 1 OUT",
  "poll sockpair data: 1 IN|OUT",
  "poll sockpair peer shut wr: 1 IN|RDHUP",
  "poll sockpair peer closed: 1 IN|OUT|HUP",
  "poll listener idle: 0 0",
  "poll unconnected tcp: 1 OUT|HUP",
  "poll listener pending: 1 IN",
  "poll tcp connected: 1 OUT",
  "poll tcp peer closed: 1 IN",
  "poll regular file: 1 IN|OUT",
  "select idle: 3 r0000 w0111 e0000",
  "select data: 5 r1010 w0111 e0000",
  "select nfds too small: 1 r1000 w0000 e0000",
  "select reads only: 2 r1010 w0000 e0000",
  "select nothing timeout 0: 0",
  "select nothing timeout 10ms: 0",
  "select negative nfds: -1 EINVAL",
  "select bad timeout: -1 EINVAL",
  "select reader of closed pipe: 1 r1 w0 e0",
  "select writer of closed pipe: 1 r0 w1 e0",
  "select sockpair peer closed: 2 r1 w1 e0",
  "select closed fd read: -1 EBADF",
  "select closed fd write: -1 EBADF",
  "select closed fd except: -1 EBADF",
  "select listener idle: 0 r0 w0 e0",
  "select listener pending: 1 r1 w0 e0",
  "select tcp connected: 1 r0 w1 e0",
  "select tcp data: 1 r1 w0 e0",
  "block poll woken: 1 IN",
  "block poll timeout woken: 1 IN",
  "block ppoll woken: 1 IN",
  "block select woken: 1 1",
  "block select timeout: 0 0 tv 0.000000",
  "block epoll_wait woken: 1 42=IN",
  "block epoll et writer: 1 43=OUT",
  "block epoll et writer again: 0",
  "block poll signal: -1 EINTR",
  "block select signal: -1 EINTR",
  "block epoll_wait signal: -1 EINTR",
  "poll same fd twice: 1 OUT 0",
  "poll PRI on a readable pipe: 0 0",
  "poll IN|PRI on a readable pipe: 1 IN",
  "poll PRI on a readable socket: 0 0",
  "select of a readable socket in rd and ex: 1 rd 1 ex 0",
];

// Linux's output (see above).
const EXPECTED_STATES = [
  "udp fresh: 1 1=OUT",
  "udp datagram: 1 1=IN",
  "udp poll: 1 IN|OUT",
  "udp drained: 0",
  "reused fd number add: 0",
  "reused fd number wait: 1 2=IN",
  "poll epoll ready: 1 IN",
  "select epoll ready: 1 1",
  "poll epoll idle: 0 0",
  "pipe full: 0",
  "pipe full, a page read: 1 3=OUT",
  "add after hangup: 1 4=HUP",
  "add after hangup, oneshot spent: 0",
  "oneshot del and add: 1 5=HUP",
  "outer sees inner: 1 7=IN",
  "outer after inner closed: 0",
  "many epoll_wait 128: 70 sum 2415",
  "many epoll_wait 100: 70",
  "many poll: 70 in 70",
  "many select: 70 in 70",
  "epoll_pwait unblocks: -1 EINTR alarms 1",
  "ppoll unblocks: -1 EINTR alarms 1",
  "pselect unblocks: -1 EINTR alarms 1",
  "epoll_pwait with the signal pending: -1 EINTR alarms 1 at once 1",
  "ppoll with the signal pending: -1 EINTR alarms 1 at once 1",
  "pselect with the signal pending: -1 EINTR alarms 1 at once 1",
  "epoll_pwait blocks: 0 alarms during 1 after 1",
  "ppoll blocks: 0 alarms during 1 after 1",
  "pselect blocks: 0 alarms during 1 after 1",
  "mask restored: 0",
  "nb connect: -1 EINPROGRESS",
  "nb connect done: 1 1=OUT",
  "nb connect SO_ERROR: 0",
  "tcp both shut wr poll: 1 IN|OUT|HUP|RDHUP",
  "tcp both shut wr: 1 1=IN|OUT|HUP|RDHUP",
  "tcp server after both shut, rdhup: 1 2=HUP|RDHUP",
  "tcp server after both shut: 1 2=IN|OUT|HUP|RDHUP",
  "nb connect refused: -1 EINPROGRESS",
  "nb connect refused poll: 1 OUT|ERR|HUP",
  "nb connect refused SO_ERROR: ECONNREFUSED",
  "nb connect refused poll after SO_ERROR: 1 OUT|HUP",
  "tcp reset poll: 1 IN|OUT|ERR|HUP|RDHUP",
  "tcp reset read: -1 ECONNRESET",
  "tcp reset poll after read: 1 IN|OUT|HUP|RDHUP",
  "poll timeout -5: 1 IN",
  "epoll_wait timeout -5: 1 9=IN",
  "ppoll NULL timeout: 1 IN",
  "et writer fresh: 1 1=OUT",
  "et writer full: 0",
  "et writer page read: 1 1=OUT",
  "et writer page read again: 0",
  "et writer reader closed: 1 1=OUT|ERR",
  "del ready: 0",
  "mod data: 1 4=IN",
  "mod to out on a reader: 0",
  "et oneshot: 1 6=IN",
  "et oneshot new data: 0",
  "et mod re-arms with data: 1 7=IN",
  "sockpair full: 0",
  "sockpair drained: 1 8=OUT",
  "poll on epoll woken: 1 IN",
  "nested epoll woken: 1 10=IN",
  "unix listener idle: 0 0",
  "unix unconnected: 1 OUT|HUP",
  "unix listener pending: 1 IN",
  "unix connected: 1 OUT",
  "unix peer closed: 1 IN|OUT|HUP",
  "poll bad pointer: -1 EFAULT",
  "poll NULL with nfds 1: -1 EFAULT",
  "epoll_wait bad pointer: -1 EFAULT",
  "epoll_ctl bad event: -1 EFAULT",
  "select bad readfds: -1 EFAULT",
  "done",
];

async function expectLinux(part: string, expected: string[]): Promise<void> {
  const r = await run(inst, `/bin/conform_poll_${part}`);
  assert.equal(r.stderr, "");
  // Line by line first: a failure names the case.
  const got = r.stdout.split("\n");
  for (let i = 0; i < expected.length; i++) assert.equal(got[i], expected[i], `line ${i + 1}`);
  assert.equal(r.stdout, expected.join("\n") + "\n");
  assert.equal(r.code, 0);
}

test("epoll answers as Linux does, case by case", { skip }, async () => {
  await expectLinux("epoll", EXPECTED_EPOLL);
});

test("poll, select and blocking waits answer as Linux does, case by case", { skip }, async () => {
  await expectLinux("select", EXPECTED_SELECT);
});

test("UDP, signal masks, TCP states, more epoll and EFAULT answer as Linux does, case by case", { skip }, async () => {
  await expectLinux("states", EXPECTED_STATES);
});
