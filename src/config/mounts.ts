/**
 * How Occlum finds the root file system in the `mount` list (spec 1.7 rules 1-3).
 *
 * The root is the FIRST mount with target "/" and type "unionfs"; its image layer is the FIRST
 * layer with target "/", type "sefs" and an `options.MAC` present (any string; null = absent).
 * The generator overwrites that MAC with the real image MAC.
 */
import type { InputMount } from "./input.ts";

export const MOUNT_TYPES: readonly string[] = ["sefs", "hostfs", "ramfs", "unionfs", "devfs", "procfs", "ext2"];

export function findRootUnionfs(mounts: readonly InputMount[]): InputMount | undefined {
  return mounts.find((m) => m.target.value === "/" && m.type.value === "unionfs");
}

export function findImageLayer(mounts: readonly InputMount[]): InputMount | undefined {
  const root = findRootUnionfs(mounts);
  return root?.options.layers?.value.find((l) => l.target.value === "/" && l.type.value === "sefs" && l.options.mac !== undefined);
}
