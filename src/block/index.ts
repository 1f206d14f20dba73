/**
 * src/block: block devices for occlum-ts, usable as a standalone library (node: built-ins only,
 * nothing imported from the rest of the project).
 *
 *   BlockDevice      the interface (block-device.ts)
 *   HostFile         untrusted byte storage under the disks: NodeHostFile (host-io.ts, through the
 *                    async HostIoQueue), MemHostFile and CrashableFile (host-file.ts)
 *   RawDisk, MemDisk unprotected baselines
 *   PfsDisk          the SGX-PFS baseline (pfs/)
 *   SwornDisk        the log-structured secure disk (sworndisk/)
 * Test support (workloads, crash and attack kits) lives in ./testing/index.ts, not exported here.
 */
export * from "./block-device.ts";
export * from "./host-file.ts";
export * from "./host-io.ts";
export { RawDisk } from "./raw-disk.ts";
export { MemDisk } from "./mem-disk.ts";
export * from "./pfs/index.ts";
export * from "./sworndisk/index.ts";
