/**
 * Service-level TCP throughput: the kernel's TcpSocket (send/receive rings, write-behind,
 * proactive receive) against a plain node:net pair, in the same run, over 127.0.0.1.
 *
 *   node bench/net/run.ts [--size=1G] [--streams=1,4] [--write=128K] [--reps=3] [--checksum]
 *                         [--impl=node,kernel]
 *   env: NET_BENCH_SIZE, NET_BENCH_STREAMS, NET_BENCH_REPS (flags win)
 *
 * Each case moves `size` bytes in total (split over the streams) in `write`-sized writes, from a
 * client to a server in this process; the receiver reads into a 256 KiB buffer. The kernel case
 * drives the sockets as the syscall layer would (EAGAIN → wait on the wait queue → retry). The
 * baseline is the same transfer with node:net, honouring write() back-pressure ('drain').
 * Each case runs `reps` times, alternating baseline and kernel; the table shows the median run
 * (the machine is shared, so single runs are noisy). With --checksum both ends hash the stream (SHA-256) and the run fails on a mismatch.
 * Results: bench/results/net.json and a markdown table on stdout. MiB = 2^20 bytes.
 */
import { createHash, type Hash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import * as net from "node:net";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Ready } from "../../src/libos/fs/types.ts";
import { EAGAIN_ERROR, Errno, SysError } from "../../src/libos/syscall/errno.ts";
import { waitAny } from "../../src/libos/sched/wait-queue.ts";
import { createSocket } from "../../src/libos/net/socket-service.ts";
import { Domain, Shut, SockType, type KernelSocket } from "../../src/libos/net/types.ts";

type Maybe<T> = T | Promise<T>;

function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(s.trim());
  if (!m) throw new Error(`bad size: ${s}`);
  const mult = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G"];
  return Math.round(Number(m[1]) * mult);
}

const args = new Map(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, "").split("=");
  return [k!, v ?? "1"] as const;
}));
const SIZE = parseSize(args.get("size") ?? process.env.NET_BENCH_SIZE ?? "1G");
const STREAMS = (args.get("streams") ?? process.env.NET_BENCH_STREAMS ?? "1,4").split(",").map(Number);
const WRITE = parseSize(args.get("write") ?? "128K");
const CHECKSUM = args.has("checksum");
const IMPLS = (args.get("impl") ?? "node,kernel").split(",");
const REPS = Number(args.get("reps") ?? process.env.NET_BENCH_REPS ?? "3");

/** The syscall layer's blocking helper, reduced: retry on EAGAIN after the wait queue fires. */
async function blocking<T>(f: KernelSocket, interest: number, op: () => Maybe<T>): Promise<T> {
  for (;;) {
    try {
      return await op();
    } catch (e) {
      if (e !== EAGAIN_ERROR) throw e;
    }
    if ((f.poll() & (interest | Ready.ERR | Ready.HUP)) === 0) await waitAny([f.waitQueue]);
  }
}

function fill(buf: Uint8Array, seed: number): void {
  for (let i = 0; i < buf.length; i += 512) buf[i] = (seed + i) & 0xff;
}

interface Row {
  impl: "kernel" | "node:net";
  streams: number;
  bytes: number;
  seconds: number;
  mibPerSec: number;
}

async function kernelCase(streams: number): Promise<Row> {
  const srv = createSocket(Domain.INET, SockType.STREAM, 0);
  await srv.bind({ family: "inet", addr: "127.0.0.1", port: 0 });
  await srv.listen(64);
  const addr = srv.getsockname();
  const per = Math.floor(SIZE / streams);
  const t0 = performance.now();
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < streams; i++) {
    const cli = createSocket(Domain.INET, SockType.STREAM, 0);
    try {
      await cli.connect(addr);
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== Errno.INPROGRESS) throw e;
      await blocking(cli, Ready.OUT, () => cli.finishConnect());
    }
    const conn = await blocking(srv, Ready.IN, () => srv.accept());
    const hs: [Hash, Hash] | undefined = CHECKSUM ? [createHash("sha256"), createHash("sha256")] : undefined;
    const writer = (async () => {
      const block = new Uint8Array(WRITE);
      for (let off = 0; off < per;) {
        const n = Math.min(WRITE, per - off);
        if (hs) {
          fill(block, off);
          hs[0].update(block.subarray(0, n));
        }
        let done = 0;
        while (done < n) done += await blocking(cli, Ready.OUT, () => cli.write([block.subarray(done, n)]));
        off += n;
      }
      cli.shutdown(Shut.WR);
    })();
    const reader = (async () => {
      const buf = new Uint8Array(256 * 1024);
      let got = 0;
      for (;;) {
        const n = await blocking(conn, Ready.IN, () => conn.read([buf]));
        if (n === 0) break;
        hs?.[1].update(buf.subarray(0, n));
        got += n;
      }
      if (got !== per) throw new Error(`kernel stream got ${got} of ${per}`);
      if (hs && hs[0].digest("hex") !== hs[1].digest("hex")) throw new Error("checksum mismatch");
    })();
    jobs.push(Promise.all([writer, reader]).then(() => {
      cli.release();
      conn.release();
    }));
  }
  await Promise.all(jobs);
  const seconds = (performance.now() - t0) / 1000;
  srv.release();
  return { impl: "kernel", streams, bytes: per * streams, seconds, mibPerSec: (per * streams) / 2 ** 20 / seconds };
}

async function nodeCase(streams: number): Promise<Row> {
  const per = Math.floor(SIZE / streams);
  const done: Promise<void>[] = [];
  const server = net.createServer((s) => {
    const h = CHECKSUM ? createHash("sha256") : undefined;
    let got = 0;
    done.push(new Promise<void>((resolve, reject) => {
      s.on("data", (c: Buffer) => {
        got += c.byteLength;
        h?.update(c);
      });
      s.on("end", () => (got === per ? resolve() : reject(new Error(`node stream got ${got} of ${per}`))));
    }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  const t0 = performance.now();
  const writers: Promise<void>[] = [];
  for (let i = 0; i < streams; i++) {
    writers.push((async () => {
      const c = net.connect({ host: "127.0.0.1", port });
      await once(c, "connect");
      const h = CHECKSUM ? createHash("sha256") : undefined;
      for (let off = 0; off < per;) {
        const n = Math.min(WRITE, per - off);
        // A fresh buffer per write: node:net keeps it until written.
        const block = Buffer.allocUnsafe(n);
        if (h) {
          fill(block, off);
          h.update(block);
        }
        off += n;
        if (!c.write(block)) await once(c, "drain");
      }
      c.end();
      await once(c, "close");
    })());
  }
  await Promise.all(writers);
  while (done.length < streams) await new Promise((r) => setImmediate(r));
  await Promise.all(done);
  const seconds = (performance.now() - t0) / 1000;
  server.close();
  return { impl: "node:net", streams, bytes: per * streams, seconds, mibPerSec: (per * streams) / 2 ** 20 / seconds };
}

const median = (runs: Row[]): Row => [...runs].sort((a, b) => a.mibPerSec - b.mibPerSec)[runs.length >> 1]!;
const rows: Row[] = [];
const allRuns: Row[] = [];
for (const streams of STREAMS) {
  const base: Row[] = [];
  const kern: Row[] = [];
  // Alternate baseline and kernel so drift in the machine's load hits both.
  for (let i = 0; i < REPS; i++) {
    if (IMPLS.includes("node")) base.push(await nodeCase(streams));
    if (IMPLS.includes("kernel")) kern.push(await kernelCase(streams));
  }
  allRuns.push(...base, ...kern);
  if (base.length) rows.push(median(base));
  if (kern.length) rows.push(median(kern));
}

const outDir = fileURLToPath(new URL("../results/", import.meta.url));
await mkdir(outDir, { recursive: true });
const out = outDir + "net.json";
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, size: SIZE, write: WRITE, checksum: CHECKSUM, reps: REPS, rows, allRuns }, null, 2) + "\n");

const lines = [
  `TCP throughput over 127.0.0.1, ${(SIZE / 2 ** 20).toFixed(0)} MiB per case, ${WRITE / 1024} KiB writes, median of ${REPS}${CHECKSUM ? ", SHA-256 checked" : ""}`,
  "",
  "| impl | streams | MiB/s | seconds | vs node:net |",
  "|---|---:|---:|---:|---:|",
];
for (const r of rows) {
  const base = rows.find((b) => b.impl === "node:net" && b.streams === r.streams);
  const ratio = base ? (r.mibPerSec / base.mibPerSec).toFixed(2) : "-";
  lines.push(`| ${r.impl} | ${r.streams} | ${r.mibPerSec.toFixed(0)} | ${r.seconds.toFixed(2)} | ${ratio} |`);
}
process.stdout.write(lines.join("\n") + `\n\nresults: ${out}\n`);
