/**
 * build/.occlum_ts_build.json: what a build decided and from which inputs.
 *
 * Two uses. `occlum run` (later issues) reads the SGX mode and the EDMM decision from here rather
 * than from the environment of the run. And it fixes Occlum's staleness pitfall (spec 3.4): make
 * rebuilds by file mtimes only, so changing ENABLE_EDMM, the sign key or the image key alone leaves
 * a stale build unless the user remembers `-f`. We compare the inputs that shape the build with
 * the recorded ones and rebuild everything when any of them changed.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { EdmmDecision } from "../config/index.ts";

export const BUILD_RECORD_FILE = ".occlum_ts_build.json";
const FORMAT = 1;

export interface BuildInputs {
  readonly sgxMode: string;
  readonly edmm: boolean;
  readonly signKey: string | null;
  readonly signKeySha256: string | null;
  readonly signTool: string | null;
  readonly imageKey: string | null;
  readonly imageKeySha256: string | null;
  readonly buildinImageKey: boolean;
}

export interface BuildRecord {
  readonly format: number;
  readonly sgxMode: string;
  readonly edmm: {
    readonly enabled: boolean;
    readonly decidedBy: string;
    readonly reason: string;
    readonly instanceIsForEdmmPlatform: boolean;
    readonly inputs: Record<string, string | boolean | null>;
  };
  readonly inputs: BuildInputs;
  readonly occlumJsonSha256: string;
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function fileSha256(path: string | undefined): string | null {
  if (path === undefined) return null;
  try {
    return sha256(readFileSync(path));
  } catch {
    return null;
  }
}

export function makeRecord(decision: EdmmDecision, inputs: BuildInputs, occlumJson: string): BuildRecord {
  const i = decision.inputs;
  return {
    format: FORMAT,
    sgxMode: decision.sgxModeFile,
    edmm: {
      enabled: decision.edmm,
      decidedBy: decision.decidedBy,
      reason: decision.reason,
      instanceIsForEdmmPlatform: decision.instanceIsForEdmmPlatform,
      inputs: {
        SGX_MODE: i.envSgxMode ?? null,
        ENABLE_EDMM: i.envEnableEdmm ?? null,
        "--sgx-mode": i.flagSgxMode ?? null,
        "--enable-edmm": i.flagEnableEdmm ?? null,
        "feature.enable_edmm": i.featureEnableEdmm,
      },
    },
    inputs,
    occlumJsonSha256: sha256(occlumJson),
  };
}

export function serializeRecord(r: BuildRecord): string {
  return JSON.stringify(r, null, 2) + "\n";
}

/** The recorded build, or undefined when absent or unreadable (then the build is treated as new). */
export function readRecord(path: string): BuildRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, "utf8")) as BuildRecord;
    return r.format === FORMAT && typeof r.inputs === "object" ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Human descriptions of what changed between two builds' inputs; empty when nothing did. */
export function changedInputs(before: BuildInputs, now: BuildInputs): string[] {
  const out: string[] = [];
  const onOff = (b: boolean) => (b ? "on" : "off");
  if (before.sgxMode !== now.sgxMode) out.push(`SGX mode ${before.sgxMode} -> ${now.sgxMode}`);
  if (before.edmm !== now.edmm) out.push(`EDMM ${onOff(before.edmm)} -> ${onOff(now.edmm)}`);
  if (before.signKey !== now.signKey || before.signKeySha256 !== now.signKeySha256) out.push("signing key");
  if (before.signTool !== now.signTool) out.push("signing tool");
  if (before.imageKey !== now.imageKey || before.imageKeySha256 !== now.imageKeySha256) out.push("image key");
  if (before.buildinImageKey !== now.buildinImageKey) out.push(`--buildin-image-key ${onOff(before.buildinImageKey)} -> ${onOff(now.buildinImageKey)}`);
  return out;
}
