/** Shared test support for src/block/: PRNG, reference model, workloads, crash and attack kits. */
export * from "./rng.ts";
export * from "./model.ts";
export * from "./workload.ts";
export * from "./crash-suite.ts";
export * from "./attack.ts";
