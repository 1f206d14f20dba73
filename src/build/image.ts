/**
 * Capturing a rootfs source (image/ or initfs/) into the read-only image layer of an instance
 * (build/mount/__ROOT, build/initfs/__ROOT) and measuring it.
 *
 *   const { mac } = await captureImage("inst/image", "inst/build/mount/__ROOT");
 *   await verifyImage("inst/build/mount/__ROOT", mac);   // at boot; throws ImageMacError if tampered
 *
 * The copy keeps regular files, directories and symlinks with their permission bits (the host
 * umask does not apply); hard links become separate files; anything else (FIFOs, sockets,
 * devices) is an error. The MAC is libos/fs/sefs/tree-mac.ts's canonical SHA-256 of the copy.
 */
import { constants as C } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { computeTreeMac, ImageMacError, verifyTreeMac } from "../libos/fs/sefs/tree-mac.ts";

export { ImageMacError };

async function copyTree(src: string, dst: string): Promise<void> {
  for (const ent of await fsp.readdir(src, { withFileTypes: true })) {
    const from = path.join(src, ent.name);
    const to = path.join(dst, ent.name);
    const st = await fsp.lstat(from);
    if (st.isDirectory()) {
      await fsp.mkdir(to);
      await copyTree(from, to);
      await fsp.chmod(to, st.mode & 0o7777);
    } else if (st.isFile()) {
      await fsp.copyFile(from, to, C.COPYFILE_EXCL);
      await fsp.chmod(to, st.mode & 0o7777);
    } else if (st.isSymbolicLink()) {
      await fsp.symlink(await fsp.readlink(from), to);
    } else {
      throw new Error(`cannot capture ${from}: only files, directories and symlinks can be in an image`);
    }
  }
}

/** rm -rf that also works on trees with read-only directories (a previous capture of one). */
async function forceRemove(dir: string): Promise<void> {
  const st = await fsp.lstat(dir).catch(() => null);
  if (!st) return;
  if (st.isDirectory()) {
    await fsp.chmod(dir, 0o700);
    for (const ent of await fsp.readdir(dir, { withFileTypes: true })) if (ent.isDirectory()) await forceRemove(path.join(dir, ent.name));
  }
  await fsp.rm(dir, { recursive: true, force: true });
}

/** Replace `destRoot` by a copy of `imageDir`; returns the copy's MAC. */
export async function captureImage(imageDir: string, destRoot: string): Promise<{ mac: string }> {
  const st = await fsp.stat(imageDir).catch(() => null);
  if (!st?.isDirectory()) throw new Error(`image directory not found: ${imageDir}`);
  await forceRemove(destRoot);
  await fsp.mkdir(destRoot, { recursive: true });
  await copyTree(imageDir, destRoot);
  await fsp.chmod(destRoot, st.mode & 0o7777);
  return { mac: await computeTreeMac(destRoot) };
}

/** Recompute the MAC of a captured image; throws ImageMacError on a mismatch (tampering). */
export async function verifyImage(root: string, mac: string): Promise<void> {
  await verifyTreeMac(root, mac);
}
