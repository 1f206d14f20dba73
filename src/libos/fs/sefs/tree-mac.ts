/**
 * The content MAC of a layer stored as a host directory tree: SHA-256 over a canonical
 * serialization, first 16 bytes in Occlum's MAC format ("xx-xx-...", 47 chars).
 *
 * Serialization, entries in pre-order with siblings sorted by the bytes of their names (the
 * root itself excluded), each entry:
 *   u32 len, path bytes (relative, "/"-separated, UTF-8) | u8 type (1 dir, 2 file, 3 symlink)
 *   | u32 permission bits (mode & 0o7777)
 *   | file: u64 size, contents | symlink: u32 len, target bytes
 * (integers big-endian). Anything else in the tree (FIFOs, sockets, devices) is an error.
 * Hosts' timestamps and owners are not covered (they do not survive a copy).
 */
import { closeSync, constants as C, openSync, readSync, type BigIntStats } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { createSha256, type Sha256 } from "../../sha256.ts";

export const MAC_RE = /^[0-9a-f]{2}(-[0-9a-f]{2}){15}$/;

export function formatMac(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("-");
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Files up to this size are read with one synchronous call (cheaper than 4 thread-pool trips). */
const SMALL_FILE = 256 << 10;

async function hashFile(h: Sha256, file: string, size: bigint): Promise<void> {
  const sz = Buffer.alloc(8);
  sz.writeBigUInt64BE(size);
  h.update(sz);
  if (size <= BigInt(SMALL_FILE)) {
    const fd = openSync(file, C.O_RDONLY | C.O_NOFOLLOW);
    try {
      const buf = Buffer.alloc(Number(size) + 1); // one byte more: a grown file shows
      let n = 0;
      for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
      if (BigInt(n) !== size) throw new Error(`file changed while hashing: ${file}`);
      h.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    return;
  }
  const fh = await fsp.open(file, C.O_RDONLY | C.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(1 << 20);
    let total = 0n;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      total += BigInt(bytesRead);
    }
    if (total !== size) throw new Error(`file changed while hashing: ${file}`);
  } finally {
    await fh.close();
  }
}

/** One entry of the tree with what its serialization needs (collected before hashing). */
interface Entry {
  readonly rel: string;
  readonly full: string;
  readonly st: BigIntStats;
  readonly children?: readonly Entry[];
  readonly target?: string;
}

/**
 * The entries under `rel`, sorted, with their stats, symlink targets and subtrees. Siblings and
 * subtrees are listed concurrently: a boot waits for the tree's depth in thread-pool round trips,
 * not for its number of entries.
 */
async function list(root: string, rel: string): Promise<Entry[]> {
  const dir = path.join(root, rel);
  const names = (await fsp.readdir(dir)).sort(byteCompare);
  return Promise.all(names.map(async (name): Promise<Entry> => {
    const relPath = rel ? `${rel}/${name}` : name;
    const full = path.join(dir, name);
    const st = await fsp.lstat(full, { bigint: true });
    if (st.isDirectory()) return { rel: relPath, full, st, children: await list(root, relPath) };
    if (st.isSymbolicLink()) return { rel: relPath, full, st, target: await fsp.readlink(full) };
    if (!st.isFile()) throw new Error(`unsupported file type in layer: ${full}`);
    return { rel: relPath, full, st };
  }));
}

/** Hashes the entries in pre-order (the serialization of the module header). */
async function hashEntries(h: Sha256, entries: readonly Entry[]): Promise<void> {
  for (const e of entries) {
    const p = Buffer.from(e.rel);
    h.update(u32(p.length));
    h.update(p);
    const perm = u32(Number(e.st.mode) & 0o7777);
    if (e.children !== undefined) {
      h.update(Buffer.from([1]));
      h.update(perm);
      await hashEntries(h, e.children);
    } else if (e.target !== undefined) {
      h.update(Buffer.from([3]));
      h.update(perm);
      const t = Buffer.from(e.target);
      h.update(u32(t.length));
      h.update(t);
    } else {
      h.update(Buffer.from([2]));
      h.update(perm);
      await hashFile(h, e.full, e.st.size);
    }
  }
}

/** The bytes of file contents under `entries` (the size hint for the hasher). */
function contentBytes(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) n += e.children !== undefined ? contentBytes(e.children) : e.target === undefined ? Number(e.st.size) : 0;
  return n;
}

/** The MAC of the tree under `root` (Occlum format). */
export async function computeTreeMac(root: string): Promise<string> {
  const entries = await list(root, "");
  const h = createSha256(contentBytes(entries));
  h.update("occlum-ts layer v1\0");
  await hashEntries(h, entries);
  return formatMac(h.digest());
}

export class ImageMacError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageMacError";
  }
}

/** Recompute the MAC of `root`; throws ImageMacError when it differs from `mac`. */
export async function verifyTreeMac(root: string, mac: string): Promise<void> {
  if (!MAC_RE.test(mac)) throw new ImageMacError(`invalid image MAC "${mac}" in the configuration (instance not built?)`);
  let actual: string;
  try {
    actual = await computeTreeMac(root);
  } catch (e) {
    throw new ImageMacError(`cannot verify the image at ${root}: ${(e as Error).message}`);
  }
  if (actual !== mac) {
    throw new ImageMacError(`the image at ${root} was modified after the build (MAC ${actual}, expected ${mac}): rebuild with \`occlum build\``);
  }
}
