/** args_* and environ_*: the process's argv and environment, as given at spawn. */
import type { Thread } from "../../process/thread.ts";
import { encodeUtf8 } from "../memory.ts";

function sizes(list: readonly string[]): [number, number] {
  let bytes = 0;
  for (const s of list) bytes += encodeUtf8(s).byteLength + 1;
  return [list.length, bytes];
}

export function args_sizes_get(t: Thread): [number, number] {
  return sizes(t.process.argv);
}

export function args_get(t: Thread): string[] {
  return t.process.argv;
}

export function environ_sizes_get(t: Thread): [number, number] {
  return sizes(t.process.env);
}

export function environ_get(t: Thread): string[] {
  return t.process.env;
}
