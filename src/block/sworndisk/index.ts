/**
 * SwornDisk: a trusted log-structured block device (SwornDisk/MlsDisk design; see disk.ts for the
 * write, sync and recovery protocol and layout.ts for the on-disk layout).
 *
 *   const disk = await SwornDisk.create(hostFile, { rootKey, nblocks, counterStore });
 *   await disk.write(lba, buf); await disk.sync();
 *   const again = await SwornDisk.open(hostFile, { rootKey, counterStore });
 *
 * Layers, bottom-up (each imports only from below): io.ts (host blocks), crypto.ts (AEAD),
 * layout.ts (superblock), journal.ts (MAC-chained edit journal + checkpoints), space.ts
 * (segments, delayed reclamation, reverse map), memtable.ts / wal.ts / sst.ts / lsm.ts (secure
 * LSM index), disk.ts (the device).
 */

export { SwornDisk, type SwornDiskCreateOptions, type SwornDiskOpenOptions, type SwornDiskInspect, type SwornDiskStats } from "./disk.ts";
export { HostFileCounterStore, MemCounterStore, type TrustedCounterStore } from "./counter.ts";
export { computeLayout, regions, type Layout } from "./layout.ts";
