/**
 * SwornDisk: a trusted log-structured block device (the SwornDisk/MlsDisk design of
 * ../../../../shared/reference/secure-disk.md, rebuilt on node:crypto AES-256-GCM).
 *
 *   const disk = await SwornDisk.create(hostFile, { rootKey, nblocks, counterStore });
 *   await disk.write(lba, buf); await disk.sync();
 *   const again = await SwornDisk.open(hostFile, { rootKey, counterStore });
 *   again.inspect(); await again.check();
 *
 * On-disk layout (layout.ts): 2 AEAD superblock copies | 2 checkpoint slots | journal ring |
 * segments (data log, SST log and WAL segments). Trust chain: root key -> superblock -> journal
 * and checkpoint keys -> MAC-chained edit groups (sync id, WAL tail MAC, SST catalog with root
 * MACs) -> WAL blocks and SST blocks (per-log random keys) -> index records (per-block random
 * key, IV and tag) -> data blocks.
 *
 * Guarantees: confidentiality (everything encrypted, no plaintext LBA on disk), integrity and
 * freshness (every block reachable only through MACs pinned by its parent), consistency and sync
 * atomicity (one commit point per sync: after a crash anywhere, open returns exactly the last
 * completed sync, or the one whose commit record became durable), irreversibility (with a
 * TrustedCounterStore, opening an image older than the last sync fails with RolledBack; without
 * one, a whole-image rollback to an earlier synced copy is undetectable by design).
 * Operational limit: synced blocks overwritten before the next sync stay pinned until it
 * commits, so the spare space (overprovision) bounds how much can be rewritten between syncs
 * (OutOfDisk otherwise; a sync makes the space reusable). Measured with the default layout:
 * 16 MiB, 64 MiB and 256 MiB devices accept 16, 64 and 64 MiB of overwrites of synced data
 * between two syncs. This is inherent to sync atomicity: reusing a pinned block, or committing
 * on the caller's behalf to unpin it, would make a state the caller never synced recoverable.
 * Blocks written since the last sync are reclaimed at once when overwritten (rewriting one
 * unsynced MiB thousands of times is fine), as long as each write finds room for its new copy
 * before the old one is released.
 *
 * Layers, bottom-up (each imports only from below): io.ts (host blocks), crypto.ts and
 * crypto-pool.ts (AEAD, batched on worker threads), layout.ts (superblock), journal.ts (edit journal
 * + checkpoints), space.ts (segments, delayed reclamation, reverse map), memtable.ts / wal.ts /
 * sst.ts / lsm.ts (secure LSM index), data-log.ts (staging, threaded logging), recovery.ts,
 * disk.ts (the device).
 */

export { SwornDisk, type SwornDiskCreateOptions, type SwornDiskOpenOptions, type SwornDiskInspect, type SwornDiskStats } from "./disk.ts";
export { HostFileCounterStore, MemCounterStore, type TrustedCounterStore } from "./counter.ts";
export { computeLayout, regions, type Layout } from "./layout.ts";
