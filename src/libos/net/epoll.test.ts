import { test } from "node:test";
import assert from "node:assert/strict";
import { Ready } from "../fs/types.ts";
import { EAGAIN_ERROR, EINTR_ERROR, Errno } from "../syscall/errno.ts";
import type { Interruptible } from "../sched/wait-queue.ts";
import { createPipe } from "../ipc/pipe.ts";
import { FileBase } from "../fs/file-base.ts";
import { FileType } from "../fs/types.ts";
import { createEpoll, Epoll, EpollCtl, epollWait } from "./epoll.ts";
import { pollFiles } from "./poll.ts";
import { createSocket, createSocketpair } from "./socket-service.ts";
import { Domain, Shut, SockType, type KernelSocket } from "./types.ts";
import { expectErrno } from "./test-helpers.ts";
import { nowMs } from "../sched/clock.ts";

const one = new Uint8Array(1);

function fakeThread(): Interruptible & { interrupt(): void } {
  let cancel: (() => void) | undefined;
  return {
    interruptPending: false,
    setCanceller(c) {
      cancel = c;
    },
    interrupt() {
      cancel?.();
    },
  };
}

test("pollFiles: ready at once, wakes on data, times out, NVAL, EINTR", async () => {
  const p1 = createPipe();
  const p2 = createPipe();
  const r0 = pollFiles([{ file: p1.writer, events: Ready.OUT }, { file: undefined, events: Ready.IN }], -1);
  assert.deepEqual(r0, [Ready.OUT, Ready.NVAL], "synchronous when something is ready");
  const waiting = pollFiles([{ file: p1.reader, events: Ready.IN }, { file: p2.reader, events: Ready.IN }], -1);
  assert.ok(waiting instanceof Promise);
  p2.writer.write([one]);
  assert.deepEqual(await waiting, [0, Ready.IN]);
  assert.deepEqual(await pollFiles([{ file: p1.reader, events: Ready.IN }], 10), [0]);
  const t = fakeThread();
  const intr = pollFiles([{ file: p1.reader, events: Ready.IN }], -1, t);
  t.interrupt();
  await assert.rejects(Promise.resolve(intr), (e: unknown) => e === EINTR_ERROR);
  p1.writer.release();
  assert.deepEqual(await pollFiles([{ file: p1.reader, events: Ready.IN }], 0), [Ready.HUP], "HUP is always reported");
});

test("epoll: level-triggered reports while ready, edge-triggered once per change, one-shot until MOD", () => {
  const ep = createEpoll();
  const lt = createPipe();
  const et = createPipe();
  const os = createPipe();
  ep.ctl(EpollCtl.ADD, 3, lt.reader, { events: Epoll.IN, data: 3n });
  ep.ctl(EpollCtl.ADD, 4, et.reader, { events: Epoll.IN | Epoll.ET, data: 4n });
  ep.ctl(EpollCtl.ADD, 5, os.reader, { events: Epoll.IN | Epoll.ONESHOT, data: 5n });
  assert.throws(() => ep.wait(8), (e: unknown) => e === EAGAIN_ERROR);
  for (const p of [lt, et, os]) p.writer.write([one]);
  const first = ep.wait(8).map((e) => e.data).sort();
  assert.deepEqual(first, [3n, 4n, 5n]);
  assert.deepEqual(ep.wait(8).map((e) => e.data), [3n], "only the level-triggered one again");
  et.writer.write([one]);
  os.writer.write([one]);
  assert.deepEqual(ep.wait(8).map((e) => e.data).sort(), [3n, 4n], "new data re-arms ET; one-shot stays disabled");
  ep.ctl(EpollCtl.MOD, 5, os.reader, { events: Epoll.IN, data: 55n });
  assert.deepEqual(ep.wait(8).map((e) => e.data).sort(), [3n, 55n]);
  lt.reader.read([new Uint8Array(10)]);
  os.reader.read([new Uint8Array(10)]);
  assert.throws(() => ep.wait(8), (e: unknown) => e === EAGAIN_ERROR, "nothing ready once drained");
  ep.ctl(EpollCtl.DEL, 3, lt.reader);
  lt.writer.write([one]);
  assert.throws(() => ep.wait(8), (e: unknown) => e === EAGAIN_ERROR, "deleted interests are gone");
  ep.release();
});

test("epoll_ctl errors and maxevents rotation", () => {
  const ep = createEpoll();
  const p = createPipe();
  ep.ctl(EpollCtl.ADD, 3, p.writer, { events: Epoll.OUT, data: 0n });
  assert.throws(() => ep.ctl(EpollCtl.ADD, 3, p.writer, { events: Epoll.OUT, data: 0n }), expectErrno(Errno.EXIST));
  assert.throws(() => ep.ctl(EpollCtl.MOD, 9, p.reader, { events: Epoll.IN, data: 0n }), expectErrno(Errno.NOENT));
  assert.throws(() => ep.ctl(EpollCtl.DEL, 9, p.reader), expectErrno(Errno.NOENT));
  assert.throws(() => ep.ctl(EpollCtl.ADD, 10, ep, { events: Epoll.IN, data: 0n }), expectErrno(Errno.INVAL));
  assert.throws(() => ep.ctl(EpollCtl.ADD, 11, new FileBase(FileType.REGULAR_FILE, { readable: true }), { events: Epoll.IN, data: 0n }), expectErrno(Errno.PERM));
  assert.throws(() => ep.wait(0), expectErrno(Errno.INVAL));
  const pipes = Array.from({ length: 5 }, () => createPipe());
  pipes.forEach((q, i) => ep.ctl(EpollCtl.ADD, 20 + i, q.writer, { events: Epoll.OUT, data: BigInt(20 + i) }));
  const seen = new Set<bigint>();
  for (let i = 0; i < 3; i++) for (const e of ep.wait(2)) seen.add(e.data);
  assert.equal(seen.size, 6, "level-triggered entries rotate when maxevents is small");
});

test("epoll_ctl: an epoll loop (direct or through a third epoll) is ELOOP, and poll() stays finite", () => {
  const a = createEpoll(), b = createEpoll(), c = createEpoll();
  const p = createPipe();
  a.ctl(EpollCtl.ADD, 3, p.reader, { events: Epoll.IN, data: 0n });
  a.ctl(EpollCtl.ADD, 4, b, { events: Epoll.IN, data: 0n });
  assert.throws(() => b.ctl(EpollCtl.ADD, 5, a, { events: Epoll.IN, data: 0n }), expectErrno(Errno.LOOP));
  b.ctl(EpollCtl.ADD, 6, c, { events: Epoll.IN, data: 0n });
  assert.throws(() => c.ctl(EpollCtl.ADD, 7, a, { events: Epoll.IN, data: 0n }), expectErrno(Errno.LOOP));
  c.ctl(EpollCtl.ADD, 8, createEpoll(), { events: Epoll.IN, data: 0n }); // a tree is fine
  p.writer.write([one]);
  assert.equal(a.poll(), Ready.IN);
});

test("epoll: RDHUP and HUP of a socket, epollWait suspends and wakes, an epoll inside poll", async () => {
  const [a, b] = createSocketpair(Domain.UNIX, SockType.STREAM, 0);
  const ep = createEpoll();
  ep.ctl(EpollCtl.ADD, 7, b, { events: Epoll.IN | Epoll.RDHUP | Epoll.ET, data: 7n });
  const outer = pollFiles([{ file: ep, events: Ready.IN }], 5000);
  const waited = epollWait(ep, 4, 5000);
  assert.ok(waited instanceof Promise);
  a.shutdown(Shut.WR);
  const evs = await waited;
  assert.deepEqual(evs, [{ events: Epoll.IN | Epoll.RDHUP, data: 7n }]);
  assert.deepEqual(await outer, [Ready.IN]);
  assert.deepEqual(await epollWait(ep, 4, 20), [], "edge-triggered: no repeat, and the timeout returns nothing");
  a.release();
  assert.equal((await epollWait(ep, 4, 1000))[0]!.events & Epoll.HUP, Epoll.HUP);
  const t = fakeThread();
  const w = epollWait(createEpoll(), 1, -1, t);
  t.interrupt();
  await assert.rejects(Promise.resolve(w), (e: unknown) => e === EINTR_ERROR);
  b.release();
  ep.release();
});

test("1000 concurrent TCP connections served through epoll", async () => {
  const N = 1000;
  const srv = createSocket(Domain.INET, SockType.STREAM, 0);
  await srv.bind({ family: "inet", addr: "127.0.0.1", port: 0 });
  await srv.listen(1024);
  const addr = srv.getsockname();
  const sep = createEpoll();
  const LISTENER = -1n;
  sep.ctl(EpollCtl.ADD, 0, srv, { events: Epoll.IN, data: LISTENER });
  const conns = new Map<bigint, KernelSocket>();
  let served = 0;
  let stop = false;
  const server = (async () => {
    const buf = new Uint8Array(64);
    while (!stop) {
      for (const ev of await epollWait(sep, 64, 100)) {
        if (ev.data === LISTENER) {
          for (;;) {
            let c: KernelSocket;
            try {
              c = srv.accept() as KernelSocket;
            } catch (e) {
              assert.equal(e, EAGAIN_ERROR);
              break;
            }
            const id = BigInt(conns.size + 1);
            conns.set(id, c);
            sep.ctl(EpollCtl.ADD, Number(id), c, { events: Epoll.IN | Epoll.ET, data: id });
          }
          continue;
        }
        const c = conns.get(ev.data)!;
        for (;;) {
          let n: number;
          try {
            n = c.read([buf]) as number;
          } catch (e) {
            assert.equal(e, EAGAIN_ERROR);
            break;
          }
          if (n === 0) {
            sep.ctl(EpollCtl.DEL, Number(ev.data), c);
            c.release();
            served++;
            break;
          }
          c.write([buf.subarray(0, n)]);
        }
      }
    }
  })();

  const cep = createEpoll();
  const clients: KernelSocket[] = [];
  for (let i = 0; i < N; i++) {
    const c = createSocket(Domain.INET, SockType.STREAM, 0);
    assert.throws(() => c.connect(addr), expectErrno(Errno.INPROGRESS));
    clients.push(c);
    cep.ctl(EpollCtl.ADD, i, c, { events: Epoll.OUT | Epoll.ONESHOT, data: BigInt(i) });
  }
  let echoed = 0;
  const buf = new Uint8Array(64);
  while (echoed < N) {
    const evs = await epollWait(cep, 128, 10_000);
    assert.ok(evs.length > 0, "progress");
    for (const ev of evs) {
      const i = Number(ev.data);
      const c = clients[i]!;
      if ((ev.events & Epoll.OUT) !== 0) {
        c.finishConnect();
        assert.equal(c.write([new TextEncoder().encode(`hello ${i}`)]), `hello ${i}`.length);
        cep.ctl(EpollCtl.MOD, i, c, { events: Epoll.IN | Epoll.ONESHOT, data: ev.data });
      } else {
        const n = c.read([buf]) as number;
        assert.equal(new TextDecoder().decode(buf.subarray(0, n)), `hello ${i}`);
        c.shutdown(Shut.WR);
        echoed++;
      }
    }
  }
  while (served < N) await new Promise((r) => setTimeout(r, 5));
  stop = true;
  await server;
  for (const c of clients) c.release();
  srv.release();
  assert.equal(conns.size, N);
});

test("epoll_wait deadlines share one host timer: each wait times out at its own deadline, in any order; a wake or EINTR leaves it", async () => {
  const t0 = nowMs();
  const order: number[] = [];
  const waits = [200, 30, 90, 30].map((ms, i) => {
    const r = epollWait(createEpoll(), 4, ms);
    assert.ok(r instanceof Promise);
    return r.then((evs) => {
      assert.deepEqual(evs, [], "a timeout returns no events");
      assert.ok(nowMs() - t0 >= ms - 1, `wait ${i} (${ms} ms) not ended before its deadline`);
      order.push(ms);
    });
  });
  // A wait with a long deadline that data ends, and one a signal ends, meanwhile.
  const [a, b] = createSocketpair(Domain.UNIX, SockType.STREAM, 0);
  const ep = createEpoll();
  ep.ctl(EpollCtl.ADD, 3, b, { events: Epoll.IN, data: 3n });
  const woken = epollWait(ep, 4, 60_000);
  const t = fakeThread();
  const interrupted = epollWait(createEpoll(), 1, 60_000, t);
  setTimeout(() => {
    a.write([new Uint8Array([1])]);
    t.interrupt();
  }, 10);
  assert.deepEqual(await woken, [{ events: Epoll.IN, data: 3n }]);
  await assert.rejects(Promise.resolve(interrupted), (e: unknown) => e === EINTR_ERROR);
  await Promise.all(waits);
  assert.deepEqual(order, [30, 30, 90, 200]);
  // A later wait with a shorter deadline than any pending one still ends on time.
  const late = nowMs();
  assert.deepEqual(await epollWait(createEpoll(), 1, 15), []);
  assert.ok(nowMs() - late >= 14);
  for (const s of [a, b, ep]) s.release();
});

test("epoll_wait: a wake-up for an interest that is no longer ready waits on, to the next event or its deadline", async () => {
  const [a, b] = createSocketpair(Domain.UNIX, SockType.STREAM, 0);
  const ep = createEpoll();
  ep.ctl(EpollCtl.ADD, 3, b, { events: Epoll.IN, data: 3n });
  const pending = Symbol("pending");
  const later = (ms: number) => new Promise<typeof pending>((r) => setTimeout(() => r(pending), ms));
  // Notified, then drained before the waiter runs: it must park again, not return nothing.
  const w = epollWait(ep, 4, -1);
  assert.ok(w instanceof Promise);
  a.write([one]);
  assert.equal(b.read([new Uint8Array(4)]), 1);
  assert.equal(await Promise.race([w, later(20)]), pending, "a wait without a deadline returned without an event");
  a.write([one]);
  assert.deepEqual(await w, [{ events: Epoll.IN, data: 3n }]);
  assert.equal(b.read([new Uint8Array(4)]), 1);
  // The same with a deadline: it ends at the deadline with no events.
  const t0 = nowMs();
  const d = epollWait(ep, 4, 30);
  a.write([one]);
  assert.equal(b.read([new Uint8Array(4)]), 1);
  assert.deepEqual(await Promise.race([d, later(2000)]), []);
  assert.ok(nowMs() - t0 >= 29, "not before its deadline");
  for (const s of [a, b, ep]) s.release();
});
