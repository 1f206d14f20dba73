/**
 * The `wasix_32v1` import module as data (the calls Debian's wasix-libc makes; ABI in the
 * package's wasi/api_wasix.h). Same row format as the preview 1 table (../table.ts). Family files
 * contribute their rows; a call of the libc's import list not implemented yet is an ENOSYS row
 * (support "none"), so a binary importing it still instantiates.
 */
import type { SyscallRow } from "../table.ts";
import { threadRows } from "./thread-rows.ts";
import { procRows } from "./proc-rows.ts";
import { fdRows } from "./fd-rows.ts";
import { sockRows } from "./sock-rows.ts";
import { LIBC_WASIX_IMPORTS, enosysRow } from "./enosys.ts";

export const WASIX_MODULE = "wasix_32v1";

const implemented: readonly SyscallRow[] = [...procRows, ...fdRows, ...threadRows, ...sockRows];
const names = new Set(implemented.map((r) => r.name));

export const wasixTable: readonly SyscallRow[] = [
  ...implemented,
  ...LIBC_WASIX_IMPORTS.filter((n) => !names.has(n)).map(enosysRow),
];

export const wasixRows: ReadonlyMap<string, SyscallRow> = new Map(wasixTable.map((r) => [r.name, r]));
