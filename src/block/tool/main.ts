/**
 * occlum-disk: format, inspect, check and benchmark block-device images.
 *
 *   occlum-disk format  <image> --type raw|pfs|sworn --size 64M [--key HEX | --key-file F]
 *   occlum-disk inspect <image> [--type T] [--key ...]     layout, space use, write amplification
 *   occlum-disk check   <image> [--type T] [--key ...]     verify every reachable block
 *   occlum-disk bench   <image> --type T --size 64M [--time 5] [--sync-every 16M] [--qd 1]
 *                                                           (formats <image>: destroys it)
 * Common: --cache N (PFS cache nodes), --recovery PATH (PFS recovery file, default <image>.recovery).
 * The type is detected from the image header when --type is absent.
 */

import { readFile, stat } from "node:fs/promises";
import { BLOCK_SIZE, BlockError } from "../block-device.ts";
import type { HostFile } from "../host-file.ts";
import { PfsDisk } from "../pfs/pfs-disk.ts";
import { Rng } from "../testing/rng.ts";
import { DISK_TYPES, detectType, formatImage, openImage, recoveryPathOf, type DiskType, type OpenOptions } from "./devices.ts";
import { markdownTable, runPhase, STANDARD_PHASES } from "./fio.ts";

const USAGE = `usage: occlum-disk <format|inspect|check|bench> <image> [options]
  --type raw|pfs|sworn   image type (detected from the header if absent; required for format/bench)
  --size N[K|M|G]        device size for format/bench (default 64M)
  --key HEX | --key-file PATH   root key (pfs, sworn); a key file holds raw bytes or hex text
  --cache N              PFS node cache size (default 48)
  --recovery PATH        PFS recovery file (default <image>.recovery)
  --counter PATH         SwornDisk trusted sync-counter file (rollback detection)
  --time S, --sync-every N, --qd N   bench parameters (default 5 s, 16M, 1)
  --json                 machine-readable output`;

export interface ParsedArgs {
  command: string;
  image: string;
  flags: Map<string, string>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const pos: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (a === "--json" || a === "--help") flags.set(a.slice(2), "true");
      else {
        const v = argv[++i];
        if (v === undefined) throw new BlockError("InvalidArgument", `${a} needs a value`);
        flags.set(a.slice(2), v);
      }
    } else pos.push(a);
  }
  if (flags.has("help") || pos.length !== 2) throw new BlockError("InvalidArgument", USAGE);
  return { command: pos[0]!, image: pos[1]!, flags };
}

export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:i?[bB])?$/.exec(s.trim());
  if (!m) throw new BlockError("InvalidArgument", `bad size "${s}"`);
  const mult = { "": 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * mult);
}

function parseHexKey(text: string, what: string): Uint8Array {
  const hex = text.trim().replace(/^0x/, "");
  if (!/^([0-9a-fA-F]{2})+$/.test(hex) || (hex.length !== 32 && hex.length !== 64)) {
    throw new BlockError("InvalidArgument", `${what}: expected 32 or 64 hex digits (a 16- or 32-byte key)`);
  }
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

async function loadKey(flags: Map<string, string>): Promise<Uint8Array | undefined> {
  const hex = flags.get("key");
  if (hex !== undefined) return parseHexKey(hex, "--key");
  const path = flags.get("key-file");
  if (path === undefined) return undefined;
  const raw = await readFile(path);
  const text = raw.toString("latin1").trim();
  // Hex text takes precedence: 32 hex digits are also 32 bytes long.
  if (/^(0x)?([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/.test(text)) return parseHexKey(text, `--key-file ${path}`);
  if (raw.length === 16 || raw.length === 32) return Uint8Array.from(raw);
  throw new BlockError("InvalidArgument", `--key-file ${path}: expected 16 or 32 raw bytes, or 32/64 hex digits`);
}

function typeFlag(flags: Map<string, string>): DiskType | undefined {
  const t = flags.get("type");
  if (t === undefined) return undefined;
  if (!(DISK_TYPES as readonly string[]).includes(t)) throw new BlockError("InvalidArgument", `--type must be one of ${DISK_TYPES.join(", ")}`);
  return t as DiskType;
}

type Out = (text: string) => void;

function print(out: Out, json: boolean, obj: Record<string, unknown>): void {
  if (json) out(JSON.stringify(obj, null, 2));
  else for (const [k, v] of Object.entries(obj)) out(`${k.padEnd(22)} ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Runs one command; returns the process exit code. Output goes through `out`. */
export async function runTool(argv: readonly string[], out: Out = (t) => process.stdout.write(t + "\n")): Promise<number> {
  const { command, image, flags } = parseArgs(argv);
  const json = flags.has("json");
  const opts: OpenOptions = {
    key: await loadKey(flags),
    cacheNodes: flags.has("cache") ? Number(flags.get("cache")) : undefined,
    recoveryPath: flags.get("recovery"),
    counterPath: flags.get("counter"),
  };
  switch (command) {
    case "format": {
      const type = typeFlag(flags);
      if (!type) throw new BlockError("InvalidArgument", "format needs --type raw|pfs|sworn");
      const size = parseSize(flags.get("size") ?? "64M");
      if (size < BLOCK_SIZE || size % BLOCK_SIZE !== 0) throw new BlockError("InvalidArgument", `--size must be a multiple of ${BLOCK_SIZE}`);
      const dev = await formatImage(image, type, size / BLOCK_SIZE, opts);
      await dev.close();
      print(out, json, { image, type, nblocks: size / BLOCK_SIZE, bytes: size });
      return 0;
    }
    case "inspect": {
      const type = typeFlag(flags) ?? (await detectType(image));
      const info: Record<string, unknown> = { image, type, hostBytes: await fileSize(image) };
      const { dev } = await openImage(image, type, opts);
      info["nblocks"] = dev.nblocks;
      info["logicalBytes"] = dev.nblocks * BLOCK_SIZE;
      if (dev instanceof PfsDisk) {
        Object.assign(info, dev.inspect());
        info["recoveryFile"] = recoveryPathOf(image, opts);
        info["recoveryBytes"] = await fileSize(recoveryPathOf(image, opts));
        info["spaceOverhead"] = Number((Number(info["hostBytes"]) / (dev.nblocks * BLOCK_SIZE)).toFixed(4));
        info["note"] = "PFS rewrites nodes in place: write amplification is not recorded on disk (see bench)";
      } else {
        const extra = (dev as { inspect?: () => unknown }).inspect?.();
        if (extra && typeof extra === "object") Object.assign(info, extra);
      }
      await dev.close();
      print(out, json, info);
      return 0;
    }
    case "check": {
      const type = typeFlag(flags) ?? (await detectType(image));
      const { dev } = await openImage(image, type, opts);
      try {
        const checker = (dev as { check?: () => Promise<unknown> }).check;
        if (type === "raw" || !checker) {
          print(out, json, { image, type, ok: true, note: "no integrity metadata to verify (raw image)" });
        } else {
          const res = (await checker.call(dev)) as Record<string, unknown>;
          const ok = res["ok"] !== false; // PfsDisk.check throws on damage; SwornDisk reports { ok, errors }
          print(out, json, { image, type, ok, ...res });
          if (!ok) return 1;
        }
      } finally {
        await dev.close(); // nothing is dirty after a check: no node is rewritten
      }
      return 0;
    }
    case "bench": {
      const type = typeFlag(flags);
      if (!type) throw new BlockError("InvalidArgument", "bench needs --type raw|pfs|sworn (it formats <image>)");
      const size = parseSize(flags.get("size") ?? "64M");
      const dev = await formatImage(image, type, Math.floor(size / BLOCK_SIZE), opts);
      // RawDisk and PfsDisk expose their host files (`file`, `recovery`), SwornDisk `io.file`.
      const host = dev as { file?: HostFile; recovery?: HostFile; io?: { file?: HostFile } };
      host.file ??= host.io?.file;
      const hostBytesWritten = host.file
        ? () => (host.file?.stats.bytesWritten ?? 0) + (host.recovery?.stats.bytesWritten ?? 0)
        : undefined;
      const po = {
        limitBytes: size,
        seconds: Number(flags.get("time") ?? "5"),
        syncEvery: parseSize(flags.get("sync-every") ?? "16M"),
        qd: Number(flags.get("qd") ?? "1"),
        hostBytesWritten,
      };
      const rng = new Rng(1234);
      const results = [];
      for (const ph of STANDARD_PHASES) results.push(await runPhase(type, dev, ph, po, rng));
      await dev.close();
      if (json) out(JSON.stringify(results, null, 2));
      else out(markdownTable(results));
      return 0;
    }
    default:
      throw new BlockError("InvalidArgument", `unknown command "${command}"\n${USAGE}`);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await runTool(argv);
  } catch (e) {
    if (e instanceof BlockError) {
      process.stderr.write(`occlum-disk: ${e.kind === "InvalidArgument" ? e.message.replace(/^InvalidArgument: /, "") : e.message}\n`);
      return e.kind === "InvalidArgument" ? 2 : 1;
    }
    process.stderr.write(`occlum-disk: ${e instanceof Error ? e.stack : String(e)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
