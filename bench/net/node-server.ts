/**
 * The Node baseline servers of the network benches (guest.ts, ab.ts): node:net for the sink and
 * echo modes, node:http with keep-alive for http, doing what netbench.c's server does.
 */
import { once } from "node:events";
import * as http from "node:http";
import * as net from "node:net";

export type Mode = "sink" | "echo" | "http";

export interface Server {
  port: number;
  /** Settles once nconn connections have closed (and the server is closed). */
  done: Promise<void>;
}

export async function nodeServer(mode: Mode, nconn: number): Promise<Server> {
  let closed = 0;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const onSocket = (s: net.Socket): void => {
    s.setNoDelay(true);
    s.on("close", () => {
      if (++closed === nconn) finish();
    });
  };
  let srv: net.Server;
  if (mode === "http") {
    const body = Buffer.from("Hello, World!");
    srv = http.createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
      res.end(body);
    });
    srv.on("connection", onSocket);
  } else {
    srv = net.createServer({ allowHalfOpen: true }, (s) => {
      onSocket(s);
      let bytes = 0; // as the C server, count what the sink receives
      s.on("data", mode === "echo" ? (d: Buffer) => s.write(d) : (d: Buffer) => void (bytes += d.byteLength));
      s.on("end", () => s.end());
    });
  }
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  return { port: (srv.address() as net.AddressInfo).port, done: done.then(() => void srv.close()) };
}
