/**
 * A/B of the kernel's network path in one process: the netbench.c server under this tree's
 * occlum-ts and under another tree's (a copy of the code before a change), alternating run by
 * run, with Node's server as the third server of each round. One process, one event loop: the
 * two kernels are two module graphs (each with its own executor), so both see the same machine
 * minutes, the same JIT warm-up schedule and the same client.
 *
 *   node bench/net/ab.ts --base=/path/to/other/tree [--case=pingpong|bulk1|bulk4|http] [--rounds=6]
 *                        [--pings=20000] [--size=1024] [--requests=50000] [--conns=50]
 *
 * Prints each run (rate, server CPU per unit: user + system of this process while the client
 * ran) and the medians of each server's runs after the first round (JIT warm-up).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { nodeServer, type Mode } from "./node-server.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const args = new Map(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, "").split("=");
  return [k!, v ?? "1"] as const;
}));
const base = args.get("base");
if (!base || !existsSync(path.join(base, "src/libos/boot.ts"))) throw new Error("--base=<tree with src/libos/boot.ts> is required");
const CASE = args.get("case") ?? "pingpong";
const ROUNDS = Number(args.get("rounds") ?? 6);
const PINGS = Number(args.get("pings") ?? 20000);
const SIZE = Number(args.get("size") ?? 1024);
const REQUESTS = Number(args.get("requests") ?? 50000);
const CONNS = Number(args.get("conns") ?? 50);

type Helpers = typeof import("../../test/libos/helpers.ts");
type Guest = typeof import("../../test/support/guest.ts");
interface Kernel {
  name: string;
  helpers: Helpers;
  inst: Awaited<ReturnType<Helpers["makeInstance"]>>;
}

async function kernel(name: string, tree: string): Promise<Kernel> {
  const helpers = await import(pathToFileURL(path.join(tree, "test/libos/helpers.ts")).href) as Helpers;
  const guest = await import(pathToFileURL(path.join(repo, "test/support/guest.ts")).href) as Guest;
  const wasm = await guest.buildGuest(path.join(repo, "bench/net/netbench.c"), { mode: "posix" });
  return { name, helpers, inst: await helpers.makeInstance({ programs: { "/bin/netbench": wasm } }) };
}

const { nativeBinary } = await import("./native.ts");
const nativeBin = await nativeBinary();
const kernels = [await kernel("base", base), await kernel("new", repo)];

const mode: Mode = CASE === "pingpong" ? "echo" : CASE === "http" ? "http" : "sink";
const nconn = CASE === "bulk4" ? 4 : CASE === "http" ? CONNS : 1;
const clientArgv = (port: number): string[] => CASE === "pingpong"
  ? ["pingpong", String(port), String(PINGS)]
  : CASE === "http" ? [path.join(repo, "bench/net/httpload.ts"), String(port), String(CONNS), String(REQUESTS)]
    : ["bulk", String(port), String(nconn), String(SIZE), String(128 * 1024)];
const units = (count: number): number => (CASE === "bulk1" || CASE === "bulk4" ? count / 2 ** 20 : count);

async function client(port: number): Promise<{ count: number; seconds: number }> {
  // The http load generator is a Node program (as in guest.ts); the others are netbench's clients.
  const p = spawn(CASE === "http" ? process.execPath : nativeBin, clientArgv(port), { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  const [code] = await once(p, "close") as [number];
  const m = /^\w+ (\d+) ([\d.]+)\s*$/m.exec(out);
  if (code !== 0 || !m) throw new Error(`client: exit ${code}, output ${JSON.stringify(out)}`);
  return { count: Number(m[1]), seconds: Number(m[2]) };
}

async function occlumServer(k: Kernel): Promise<{ port: number; done: Promise<unknown> }> {
  const stdout = new k.helpers.Collect();
  const r = k.helpers.run(k.inst, "/bin/netbench", { args: ["server", mode, String(nconn)], stdout });
  await Promise.race([stdout.waitFor(/listening \d+\n/), r]);
  const port = Number(/listening (\d+)/.exec(stdout.text)?.[1]);
  if (!port) throw new Error(`${k.name}: server did not start`);
  return { port, done: r };
}

const results = new Map<string, { rate: number; cpu: number }[]>();
const unit = CASE === "pingpong" ? "round trip" : CASE === "http" ? "request" : "MiB";
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? [...kernels] : [...kernels].reverse();
  for (const who of [...order, "node" as const]) {
    const name = who === "node" ? "node" : who.name;
    const srv = who === "node" ? await nodeServer(mode, nconn) : await occlumServer(who);
    const cpu0 = process.cpuUsage();
    const c = await client(srv.port);
    await srv.done;
    const cpu = process.cpuUsage(cpu0);
    const n = units(c.count);
    const r = { rate: n / c.seconds, cpu: (cpu.user + cpu.system) / n };
    if (round > 0) results.set(name, [...(results.get(name) ?? []), r]);
    process.stderr.write(`round ${round} ${name}: ${r.rate.toFixed(0)} ${unit}s/s, server CPU ${r.cpu.toFixed(1)} µs per ${unit}\n`);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const nodeRate = median(results.get("node")!.map((r) => r.rate));
const nodeCpu = median(results.get("node")!.map((r) => r.cpu));
for (const [name, rs] of results) {
  const rate = median(rs.map((r) => r.rate)), cpu = median(rs.map((r) => r.cpu));
  console.log(`${CASE} ${name}: median ${rate.toFixed(0)}/s (${(rate / nodeRate).toFixed(2)} of node), CPU ${cpu.toFixed(1)} µs (${(cpu / nodeCpu).toFixed(2)} of node)`);
}
for (const k of kernels) await k.inst.cleanup();
