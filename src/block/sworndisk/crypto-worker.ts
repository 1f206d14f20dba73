/**
 * Worker half of SwornDisk's background data-block encryption (see crypto-pool.ts): keeps the
 * shared buffers the pool registers, claims chunks of each job it is sent and encrypts the staged
 * slots in place, writing the tags into the shared tag table. If it completes the job's last
 * chunk it reports the job id. Everything stays inside the process (trusted memory); nothing is
 * copied.
 *
 * (Running workers at a lower priority than the staging thread was tried and measured worse:
 * on a shared machine they then lose the CPU to other processes, not just to our own thread.)
 */

import { parentPort } from "node:worker_threads";
import { J_REFS, workOn, type PoolMessage } from "./crypto-pool.ts";

const bufs = new Map<number, Uint8Array>();
const ctrls = new Map<number, Int32Array>();

parentPort!.on("message", (m: PoolMessage) => {
  if (Array.isArray(m)) {
    const [id, s, k, t, c] = m;
    const ctrl = ctrls.get(c)!;
    try {
      if (workOn(bufs.get(s)!, bufs.get(k)!, bufs.get(t)!, ctrl)) parentPort!.postMessage(id);
    } finally {
      Atomics.sub(ctrl, J_REFS, 1);
    }
  } else if ("reg" in m) {
    bufs.set(m.reg, new Uint8Array(m.buf));
    ctrls.set(m.reg, new Int32Array(m.buf));
  } else {
    bufs.delete(m.unreg);
    ctrls.delete(m.unreg);
  }
});
