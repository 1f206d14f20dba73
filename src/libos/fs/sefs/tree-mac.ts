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
import { closeSync, constants as C, lstatSync, openSync, readdirSync, readlinkSync, readSync, type BigIntStats } from "node:fs";
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

/** Read in chunks of this size (a file this large goes to node:crypto's SHA-256 anyway). */
const CHUNK = 1 << 20;

function hashFile(h: Sha256, file: string, size: bigint): void {
  const sz = Buffer.alloc(8);
  sz.writeBigUInt64BE(size);
  h.update(sz);
  const fd = openSync(file, C.O_RDONLY | C.O_NOFOLLOW);
  try {
    // One byte more than the size when it fits in a chunk: a grown file shows.
    const buf = Buffer.allocUnsafe(Math.min(Number(size) + 1, CHUNK));
    let total = 0;
    for (let r; (r = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      h.update(buf.subarray(0, r));
      total += r;
    }
    if (BigInt(total) !== size) throw new Error(`file changed while hashing: ${file}`);
  } finally {
    closeSync(fd);
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
 * The entries under `rel`, sorted, with their stats, symlink targets and subtrees. Synchronous on
 * purpose: the image is verified before anything else can run, and a metadata call costs a few
 * µs here against a thread-pool round trip (plus fs/promises' load) for each async one; an image
 * of ~15 entries took 5-30 ms to list asynchronously at every `occlum run`.
 */
function list(root: string, rel: string): Entry[] {
  const dir = rel ? `${root}/${rel}` : root;
  return readdirSync(dir).sort(byteCompare).map((name): Entry => {
    const relPath = rel ? `${rel}/${name}` : name;
    const full = `${dir}/${name}`;
    const st = lstatSync(full, { bigint: true });
    if (st.isDirectory()) return { rel: relPath, full, st, children: list(root, relPath) };
    if (st.isSymbolicLink()) return { rel: relPath, full, st, target: readlinkSync(full) };
    if (!st.isFile()) throw new Error(`unsupported file type in layer: ${full}`);
    return { rel: relPath, full, st };
  });
}

/** Hashes the entries in pre-order (the serialization of the module header). */
function hashEntries(h: Sha256, entries: readonly Entry[]): void {
  for (const e of entries) {
    const p = Buffer.from(e.rel);
    h.update(u32(p.length));
    h.update(p);
    const perm = u32(Number(e.st.mode) & 0o7777);
    if (e.children !== undefined) {
      h.update(Buffer.from([1]));
      h.update(perm);
      hashEntries(h, e.children);
    } else if (e.target !== undefined) {
      h.update(Buffer.from([3]));
      h.update(perm);
      const t = Buffer.from(e.target);
      h.update(u32(t.length));
      h.update(t);
    } else {
      h.update(Buffer.from([2]));
      h.update(perm);
      hashFile(h, e.full, e.st.size);
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
  const entries = list(path.resolve(root), "");
  const h = createSha256(contentBytes(entries));
  h.update("occlum-ts layer v1\0");
  hashEntries(h, entries);
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
