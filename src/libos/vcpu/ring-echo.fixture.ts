/**
 * Test fixture for ring.test.ts: a worker that answers every request of a ring with the
 * argument times 3, out of order (each batch reversed), through its own Sender.
 */
import { workerData } from "node:worker_threads";
import { Doorbell, Ring, Sender, type RingMessage } from "./ring.ts";

const req = new Ring(workerData.req);
const comp = new Ring(workerData.comp);
const myBell = new Doorbell(workerData.myBell);
const peerBell = new Doorbell(workerData.peerBell);
const send = new Sender(comp, peerBell);

for (;;) {
  const seen = myBell.value;
  const batch: RingMessage[] = [];
  req.drain((m) => batch.push(m));
  if (req.takeWantSpace()) peerBell.ring();
  send.flush();
  send.batch(() => {
    for (const m of batch.reverse()) send.send({ id: m.id, key: 0, op: 0, args: [(m.args[0] as bigint) * 3n] });
  });
  myBell.waitSync(seen, 1000);
}
