/**
 * The configuration stage of `occlum build` (spec 3.4 steps 2, 5-8, and 2.1):
 * decide the SGX mode and EDMM, resolve and validate Occlum.json, rebuild from scratch when the
 * inputs changed, erase run/, write build/Enclave.xml, build/.Occlum_sys.json and
 * build/image_config.json, record the decision, then mark the instance built.
 *
 * Differences from Occlum, on purpose:
 * - Occlum.json is fully checked BEFORE anything is touched: a failing build leaves build/ and
 *   run/ as they were (Occlum erases run/ first, then fails in the generator).
 * - A changed SGX mode, EDMM decision, signing key/tool or image key rebuilds everything; Occlum
 *   only notices a changed SGX mode and otherwise needs `-f`.
 * Same as Occlum: every successful build erases run/ (the writable layer: everything the app
 * wrote at run time), then recreates run/mount/__ROOT and run/initfs/__ROOT.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  ConfigError,
  decideEdmm,
  enclaveXml,
  internalConfigJson,
  loadConfig,
  type ConfigIssue,
  type EdmmInputs,
  type Loaded,
} from "../config/index.ts";
import { BUILD_RECORD_FILE, changedInputs, fileSha256, makeRecord, readRecord, serializeRecord, type BuildInputs } from "./build-record.ts";
import { CONFIG_FILE, instancePaths } from "./instance.ts";
import { captureImage } from "./image.ts";
import { precompileImage } from "../libos/loader/precompiled.ts";

export interface ConfigStageOptions {
  readonly instanceDir: string;
  readonly edmm: Omit<EdmmInputs, "featureEnableEdmm">;
  readonly signKey: string | undefined;
  readonly signTool: string | undefined;
  readonly imageKey: string | undefined;
  readonly buildinImageKey: boolean;
  readonly force: boolean;
  /** Progress lines (stdout). */
  readonly log: (line: string) => void;
  /** Warnings: flag/environment ones as text, Occlum.json ones as located issues. */
  readonly warn: (warning: string | ConfigIssue) => void;
}

export interface ConfigStageResult {
  readonly loaded: Loaded;
  /** Why build/ was removed first, if it was. */
  readonly rebuildReasons: readonly string[];
}

/** Runs the stage. Throws ConfigError (nothing written) when Occlum.json is invalid. */
export async function runConfigStage(o: ConfigStageOptions): Promise<ConfigStageResult> {
  const p = instancePaths(o.instanceDir);

  // The mode does not depend on Occlum.json; Occlum prints it before anything else happens.
  const mode = decideEdmm({ ...o.edmm, featureEnableEdmm: false });
  o.log(`SGX mode: ${mode.sgxMode}`);

  let text: string;
  try {
    text = readFileSync(p.config, "utf8");
  } catch {
    throw new ConfigError(CONFIG_FILE, [
      {
        path: "",
        line: 0,
        column: 0,
        message: `${p.config} does not exist`,
        hint: "restore it, or create an instance with the template with \"occlum new <dir>\"",
        occlum: `${p.config} is not exist`,
      },
    ]);
  }
  const loaded = loadConfig(text, { file: CONFIG_FILE, edmm: o.edmm, instanceDir: o.instanceDir });
  const d = loaded.decision;
  for (const w of d.warnings) o.warn(w);
  for (const w of loaded.warnings) o.warn(w);

  const inputs: BuildInputs = {
    sgxMode: d.sgxModeFile,
    edmm: d.edmm,
    signKey: o.signKey === undefined ? null : path.resolve(o.signKey),
    signKeySha256: fileSha256(o.signKey),
    signTool: o.signTool === undefined ? null : path.resolve(o.signTool),
    imageKey: o.imageKey === undefined ? null : path.resolve(o.imageKey),
    imageKeySha256: fileSha256(o.imageKey),
    buildinImageKey: o.buildinImageKey,
  };
  const recordPath = path.join(p.build, BUILD_RECORD_FILE);
  const rebuildReasons: string[] = [];
  if (existsSync(p.build)) {
    if (o.force) rebuildReasons.push("-f/--force");
    const recordedMode = readText(p.sgxMode);
    if (recordedMode !== undefined && recordedMode !== d.sgxModeFile) rebuildReasons.push(`SGX mode changed (${recordedMode} -> ${d.sgxModeFile})`);
    const before = readRecord(recordPath);
    if (before !== undefined) {
      for (const c of changedInputs(before.inputs, inputs)) if (!rebuildReasons.some((r) => r.startsWith("SGX mode") && c.startsWith("SGX mode"))) rebuildReasons.push(c);
    }
    if (rebuildReasons.length > 0) {
      o.log(`Rebuilding everything (${rebuildReasons.join(", ")}): removing ${p.build}`);
      rmSync(p.build, { recursive: true, force: true });
    }
  }

  // As Occlum: every build starts from an empty writable layer.
  rmSync(p.run, { recursive: true, force: true });

  o.log(`Build on platform ${d.edmm ? "WITH" : "WITHOUT"} EDMM support`);
  mkdirSync(p.build, { recursive: true });
  // The images: initfs/ and image/ captured as read-only layers and measured; their MACs go into
  // the internal config, which the boot checks them against (spec 3.4 step 7).
  o.log("Building the initfs...");
  mkdirSync(p.initfs, { recursive: true });
  const initfs = await captureImage(p.initfs, p.buildInitfsRoot);
  writeFileSync(path.join(path.dirname(p.buildInitfsRoot), ".ROOT_MAC"), initfs.mac);
  o.log("Building new image...");
  const image = await captureImage(p.image, p.buildMountRoot);
  writeFileSync(path.join(path.dirname(p.buildMountRoot), ".ROOT_MAC"), image.mac);
  // The image's programs instrumented ahead of time: `occlum run` skips the instrumenter for them.
  const pre = precompileImage(p.buildMountRoot, path.join(p.build, "precompiled"));
  if (pre.programs > 0) o.log(`Instrumented ${pre.programs} WebAssembly program${pre.programs === 1 ? "" : "s"} of the image ahead of time`);
  writeFileSync(p.enclaveXml, enclaveXml(loaded.resolved.layout));
  writeFileSync(p.internalConfig, internalConfigJson(loaded.input, loaded.resolved, { image: image.mac, initfs: initfs.mac }));
  if (!existsSync(p.imageConfig)) {
    // Created once, as Occlum's make target without prerequisites; a changed image key rebuilds all.
    writeFileSync(p.imageConfig, `{\n  "image_type": "${o.imageKey !== undefined ? "encrypted" : "integrity-only"}"\n}\n`);
  }
  writeFileSync(recordPath, serializeRecord(makeRecord(d, inputs, text)));

  writeFileSync(p.status, "built\n");
  writeFileSync(p.sgxMode, `${d.sgxModeFile}\n`);
  mkdirSync(p.runMountRoot, { recursive: true });
  mkdirSync(p.runInitfsRoot, { recursive: true });
  return { loaded, rebuildReasons };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}
