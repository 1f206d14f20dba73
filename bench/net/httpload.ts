/**
 * HTTP/1.1 keep-alive load generator (a small wrk): CONNS connections, each sending one GET at a
 * time and waiting for the whole response (headers + Content-Length body) before the next, until
 * TOTAL requests have been answered. Runs as its own process so it never shares an event loop
 * with the server under test.
 *
 *   node bench/net/httpload.ts PORT CONNS TOTAL     prints "http REQUESTS SECONDS"
 */
import * as net from "node:net";

const [port, conns, total] = process.argv.slice(2).map(Number) as [number, number, number];
const REQUEST = Buffer.from("GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: httpload\r\nAccept: */*\r\n\r\n");
const CRLF2 = Buffer.from("\r\n\r\n");

let sent = 0;
let answered = 0;
const t0 = performance.now();

/** Bytes a response starting at `buf[0]` needs in all, or -1 while its headers are incomplete. */
function responseLength(buf: Buffer): number {
  const h = buf.indexOf(CRLF2);
  if (h < 0) return -1;
  const m = /content-length:\s*(\d+)/i.exec(buf.toString("latin1", 0, h));
  if (!m) throw new Error("response without Content-Length");
  return h + 4 + Number(m[1]);
}

function client(): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1", noDelay: true });
    let pending: Buffer = Buffer.alloc(0);
    const next = (): void => {
      if (sent >= total) {
        s.end();
        return;
      }
      sent++;
      s.write(REQUEST);
    };
    s.on("connect", next);
    s.on("data", (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const n = responseLength(pending);
        if (n < 0 || pending.length < n) break;
        pending = pending.subarray(n);
        answered++;
        next();
      }
    });
    s.on("error", reject);
    s.on("close", () => resolve());
  });
}

await Promise.all(Array.from({ length: conns }, client));
if (answered !== total) throw new Error(`answered ${answered} of ${total}`);
console.log(`http ${answered} ${((performance.now() - t0) / 1000).toFixed(6)}`);
