/**
 * The `wasix_32v1` import module as data (the calls Debian's wasix-libc makes; ABI in the
 * package's wasi/api_wasix.h). Same row format as the preview 1 table (../table.ts). Family files
 * contribute their rows; a call not implemented yet is an ENOSYS row (support "none"), so a
 * binary importing it still instantiates.
 */
import type { SyscallRow } from "../table.ts";
import { threadRows } from "./thread-rows.ts";

export const WASIX_MODULE = "wasix_32v1";

export const wasixTable: readonly SyscallRow[] = [...threadRows];
