/**
 * Guest-level network benchmarks: one C server (bench/net/netbench.c) under occlum-ts, the same
 * source built natively with gcc, and an equivalent Node server (node:net / node:http), in one run.
 *
 *   node bench/net/guest.ts [--quick] [--reps=3] [--size=4096] [--pings=20000] [--requests=50000]
 *                           [--conns=50] [--cases=bulk1,bulk4,pingpong,http] [--impls=native,occlum,node]
 *                           (--impls may add occlum-nopoll: occlum-ts with busy polling off, an A/B)
 *
 * Cases (loopback, server under test on 127.0.0.1):
 * - bulk1 / bulk4: the native netbench client sends `size` MiB over 1 or 4 connections in 128 KiB
 *   writes (iperf3 -P style); the server reads and discards. MiB/s from the client's first connect
 *   to the server's close of the last connection.
 * - pingpong: the native client does `pings` 1-byte round trips on one connection; round trips/s.
 * - http: bench/net/httpload.ts (its own Node process) keeps `conns` keep-alive connections busy,
 *   one GET at a time each, `requests` in all; requests/s.
 * The clients are the same for the three servers and always run in their own process. The occlum
 * server runs in this process (runInstance, as `occlum run` does); the Node server too (one event
 * loop each); the native server is its own process. Runs alternate the implementations; the table
 * shows medians, and for the two in-process servers (occlum-ts, Node) the server's CPU per MiB,
 * round trip or request. Results: bench/results/net-guest.json, a markdown table on stdout; plot
 * with `node bench/net/plot.ts`.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuest } from "../../test/support/guest.ts";
import { nativeBinary } from "./native.ts";
import { nodeServer, type Mode, type Server } from "./node-server.ts";
import { Collect, makeInstance, run } from "../../test/libos/helpers.ts";
import { tcpRxStats } from "../../src/libos/net/tcp.ts";
import { executor } from "../../src/libos/sched/executor.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const here = path.join(repo, "bench", "net");
const args = new Map(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, "").split("=");
  return [k!, v ?? "1"] as const;
}));
const quick = args.has("quick");
const REPS = Number(args.get("reps") ?? (quick ? 1 : 3));
/**
 * 4 GiB per bulk run: 1-2 s at this machine's loopback rates, the steady state iperf3 measures
 * (it runs 10 s). 1 GiB (before 2026-12-04 14:05 UTC) ran 0.25-0.4 s, of which the first fifth
 * is the fresh guest's start (its instance, Liftoff code and tier-up, the first ring storage):
 * occlum-ts's server CPU per MiB was 355 at 1 GiB against 299 at 4 GiB in runs minutes apart,
 * native's and Node's rates did not move (bench/net/README.md).
 */
const SIZE_MIB = Number(args.get("size") ?? (quick ? 256 : 4096));
const PINGS = Number(args.get("pings") ?? (quick ? 5000 : 20000));
const REQUESTS = Number(args.get("requests") ?? (quick ? 10000 : 50000));
const CONNS = Number(args.get("conns") ?? 50);
const WRITE = 128 * 1024;
const CASES = (args.get("cases") ?? "bulk1,bulk4,pingpong,http").split(",");
const IMPLS = (args.get("impls") ?? "native,occlum,node").split(",") as Impl[];
/** --stats: per unit of an occlum-ts run, host reads, pauses/resumes of host sockets, guest switches, busy polls. */
const STATS = args.has("stats");

/** occlum-nopoll: occlum-ts with busy polling of host I/O off (OCCLUM_BUSY_POLL_US=0), for an A/B in one run. */
type Impl = "native" | "occlum" | "occlum-nopoll" | "node";
const BUSY_POLL_US = executor.busyPollUs;
for (const i of IMPLS) if (!["native", "occlum", "occlum-nopoll", "node"].includes(i)) throw new Error(`unknown --impls entry ${i}`);

const nativeBin = await nativeBinary();
const inst = await makeInstance({ programs: { "/bin/netbench": await buildGuest(path.join(here, "netbench.c"), { mode: "posix" }) } });

/** Run a client process; its last stdout line is "<name> <count> <seconds>". */
async function client(cmd: string, argv: string[]): Promise<{ count: number; seconds: number }> {
  const p = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  // 'close', not 'exit': stdout may still hold the result line when the process exits.
  const [code] = await once(p, "close") as [number];
  const m = /^\w+ (\d+) ([\d.]+)\s*$/m.exec(out);
  if (code !== 0 || !m) throw new Error(`${cmd} ${argv.join(" ")}: exit ${code}, output ${JSON.stringify(out)}`);
  return { count: Number(m[1]), seconds: Number(m[2]) };
}

async function nativeServer(mode: Mode, nconn: number): Promise<Server> {
  const p = spawn(nativeBin, ["server", mode, String(nconn)], { stdio: ["ignore", "pipe", "inherit"] });
  const stdout = new Collect();
  p.stdout.pipe(stdout);
  const exited = once(p, "close");
  await Promise.race([stdout.waitFor(/listening \d+\n/), exited]);
  const port = Number(/listening (\d+)/.exec(stdout.text)?.[1]);
  if (!port) throw new Error("native server did not start");
  return { port, done: exited.then(([code]) => { if (code !== 0) throw new Error(`native server exit ${code}`); }) };
}

async function occlumServer(mode: Mode, nconn: number): Promise<Server> {
  const stdout = new Collect();
  const r = run(inst, "/bin/netbench", { args: ["server", mode, String(nconn)], stdout });
  await Promise.race([stdout.waitFor(/listening \d+\n/), r]);
  const port = Number(/listening (\d+)/.exec(stdout.text)?.[1]);
  if (!port) throw new Error(`occlum server did not start: ${(await r).stderr}`);
  return { port, done: r.then((x) => { if (x.code !== 0) throw new Error(`occlum server exit ${x.code}: ${x.stderr}`); }) };
}

const servers = { native: nativeServer, occlum: occlumServer, "occlum-nopoll": occlumServer, node: nodeServer };

interface CaseDef {
  name: string;
  unit: string;
  mode: Mode;
  nconn: number;
  client: (port: number) => Promise<{ count: number; seconds: number }>;
  /** The rate from a client's result. */
  rate: (c: { count: number; seconds: number }) => number;
}

const CASE_DEFS: CaseDef[] = [
  ...[1, 4].map((streams): CaseDef => ({
    name: `bulk${streams}`, unit: "MiB/s", mode: "sink", nconn: streams,
    client: (port) => client(nativeBin, ["bulk", String(port), String(streams), String(SIZE_MIB), String(WRITE)]),
    rate: (c) => c.count / 2 ** 20 / c.seconds,
  })),
  {
    name: "pingpong", unit: "round trips/s", mode: "echo", nconn: 1,
    client: (port) => client(nativeBin, ["pingpong", String(port), String(PINGS)]),
    rate: (c) => c.count / c.seconds,
  },
  {
    name: "http", unit: "requests/s", mode: "http", nconn: CONNS,
    client: (port) => client(process.execPath, [path.join(here, "httpload.ts"), String(port), String(CONNS), String(REQUESTS)]),
    rate: (c) => c.count / c.seconds,
  },
];

/**
 * CPU of the server per unit of work (µs per MiB, round trip or request; user + system of this
 * process while the client ran): only for the in-process servers, occlum-ts and Node. On a shared
 * machine it varies less than the rates do, since it does not count time spent waiting for a CPU.
 */
interface Run { case: string; impl: Impl; rate: number; seconds: number; cpuUsPerUnit?: number }
const runs: Run[] = [];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

for (const def of CASE_DEFS.filter((d) => CASES.includes(d.name))) {
  for (let rep = 0; rep < REPS; rep++) {
    for (const impl of IMPLS) {
      executor.setBusyPoll(impl === "occlum-nopoll" ? 0 : BUSY_POLL_US);
      const srv = await servers[impl](def.mode, def.nconn);
      const cpu0 = process.cpuUsage();
      const st0 = { ...tcpRxStats, switches: executor.switches, polls: executor.hostPolls };
      const c = await def.client(srv.port);
      await srv.done;
      const cpu = process.cpuUsage(cpu0);
      executor.setBusyPoll(BUSY_POLL_US);
      const rate = def.rate(c);
      const units = rate * c.seconds;
      const run: Run = { case: def.name, impl, rate, seconds: c.seconds };
      if (impl !== "native") run.cpuUsPerUnit = (cpu.user + cpu.system) / units;
      runs.push(run);
      const cpuNote = run.cpuUsPerUnit === undefined ? "" : `, server CPU ${run.cpuUsPerUnit.toFixed(1)} µs per ${def.unit.split("/")[0]!.replace(/s$/, "")} (user ${(cpu.user / units).toFixed(1)})`;
      process.stderr.write(`${def.name} ${impl}: ${rate.toFixed(1)} ${def.unit}${cpuNote}\n`);
      if (STATS && impl.startsWith("occlum")) {
        const now = { ...tcpRxStats, switches: executor.switches, polls: executor.hostPolls };
        const per = (k: keyof typeof st0): string => ((now[k] - st0[k]) / units).toFixed(2);
        process.stderr.write(`  per ${def.unit.split("/")[0]}: host reads ${per("reads")}, pauses ${per("pauses")}, resumes ${per("resumes")}, guest switches ${per("switches")}, busy polls ${per("polls")}\n`);
      }
    }
  }
}

interface Row {
  case: string; unit: string; native?: number; occlum?: number; "occlum-nopoll"?: number; node?: number; vsNative?: number; vsNode?: number;
  /** occlum-ts with busy polling against without it (when occlum-nopoll ran). */
  vsNoPoll?: number;
  /** Median server CPU per unit (µs), and occlum-ts's relative to Node's. */
  occlumCpu?: number; nodeCpu?: number; cpuVsNode?: number;
}
const rows: Row[] = [];
for (const def of CASE_DEFS.filter((d) => CASES.includes(d.name))) {
  const row: Row = { case: def.name, unit: def.unit };
  for (const impl of IMPLS) row[impl] = median(runs.filter((r) => r.case === def.name && r.impl === impl).map((r) => r.rate));
  if (row.occlum && row.native) row.vsNative = row.occlum / row.native;
  if (row.occlum && row.node) row.vsNode = row.occlum / row.node;
  if (row.occlum && row["occlum-nopoll"]) row.vsNoPoll = row.occlum / row["occlum-nopoll"];
  const cpuOf = (impl: Impl): number | undefined => {
    const xs = runs.filter((r) => r.case === def.name && r.impl === impl && r.cpuUsPerUnit !== undefined).map((r) => r.cpuUsPerUnit!);
    return xs.length > 0 ? median(xs) : undefined;
  };
  row.occlumCpu = cpuOf("occlum");
  row.nodeCpu = cpuOf("node");
  if (row.occlumCpu && row.nodeCpu) row.cpuVsNode = row.occlumCpu / row.nodeCpu;
  rows.push(row);
}

const outDir = path.join(repo, "bench", "results");
await mkdir(outDir, { recursive: true });
const out = path.join(outDir, "net-guest.json");
await writeFile(out, JSON.stringify({
  date: new Date().toISOString(), node: process.version, reps: REPS, busyPollUs: BUSY_POLL_US, sizeMiB: SIZE_MIB, writeBytes: WRITE,
  pings: PINGS, requests: REQUESTS, conns: CONNS, rows, runs,
}, null, 2) + "\n");

const fmt = (v: number | undefined): string => (v === undefined ? "-" : v >= 100 ? v.toFixed(0) : v.toFixed(2));
const cpuFmt = (r: Row): string =>
  r.occlumCpu === undefined && r.nodeCpu === undefined ? "-"
    : `${r.occlumCpu?.toFixed(1) ?? "-"} / ${r.nodeCpu?.toFixed(1) ?? "-"}${r.cpuVsNode ? ` (${r.cpuVsNode.toFixed(2)})` : ""}`;
const lines = [
  `netbench.c server: native (gcc) / occlum-ts / Node, loopback, median of ${REPS}`,
  "",
  "| case | unit | native | occlum-ts | Node | occlum/native | occlum/Node | server CPU µs/unit occlum-ts / Node |",
  "|---|---|---:|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.case} | ${r.unit} | ${fmt(r.native)} | ${fmt(r.occlum)} | ${fmt(r.node)} | ${fmt(r.vsNative)} | ${fmt(r.vsNode)} | ${cpuFmt(r)} |`),
];
if (IMPLS.includes("occlum-nopoll")) {
  lines.push("", `occlum-ts without busy polling (OCCLUM_BUSY_POLL_US=0; with it: ${BUSY_POLL_US} µs)`, "",
    "| case | occlum-ts | occlum-ts, no busy poll | ratio | server CPU µs/unit without |", "|---|---:|---:|---:|---:|",
    ...rows.map((r) => {
      const xs = runs.filter((x) => x.case === r.case && x.impl === "occlum-nopoll").map((x) => x.cpuUsPerUnit!);
      return `| ${r.case} | ${fmt(r.occlum)} | ${fmt(r["occlum-nopoll"])} | ${fmt(r.vsNoPoll)} | ${xs.length > 0 ? median(xs).toFixed(1) : "-"} |`;
    }));
}
process.stdout.write(lines.join("\n") + `\n\nresults: ${out}\n`);
await inst.cleanup();
