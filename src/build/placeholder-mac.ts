/**
 * PLACEHOLDER image MACs: the ONE place they exist.
 *
 * The config stage of `occlum build` must write the image MAC and the initfs MAC into
 * build/.Occlum_sys.json (spec 2.6), but packing image/ and initfs/ into integrity-protected
 * images (and so computing their real MACs) belongs to the image-packing issue. Until then the
 * build uses these well-formed but meaningless values. The image packing issue REPLACES these
 * constants with the MACs of the packed images; nothing else may depend on their values.
 */
import { createHash } from "node:crypto";

/** 16 bytes as Occlum prints a MAC: lowercase hex pairs joined by "-" (47 characters). */
export function formatMac(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`a MAC has 16 bytes, got ${bytes.length}`);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("-");
}

/** A MAC derived from a label, so that a placeholder is recognizable and never all zeros. */
function placeholderMac(label: string): string {
  return formatMac(createHash("sha256").update(`occlum-ts placeholder MAC: ${label}`).digest().subarray(0, 16));
}

/** PLACEHOLDER for the MAC of build/mount/__ROOT (the user image). Replaced by the image packing issue. */
export const PLACEHOLDER_IMAGE_MAC: string = placeholderMac("image");
/** PLACEHOLDER for the MAC of build/initfs/__ROOT (the initfs image). Replaced by the image packing issue. */
export const PLACEHOLDER_INITFS_MAC: string = placeholderMac("initfs");
