/** The SGX-PFS baseline: PfsDisk and its on-disk layout. */
export { PfsDisk, type PfsCheckResult, type PfsDiskOptions, type PfsInspect, type PfsStats } from "./pfs-disk.ts";
export { DEFAULT_CACHE_NODES, PFS_INNER_OFFSET, dataPhysical, mhtPhysical, mhtHeight } from "./layout.ts";
