// Golden tests: the worked examples of spec 2.8, byte for byte (files extracted from the spec text).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { enclaveXml, internalConfigJson, loadConfig, TEMPLATE_OCCLUM_JSON } from "../../src/config/index.ts";

const dir = new URL("./config/", import.meta.url);
const golden = (name: string) => readFileSync(new URL(name, dir), "utf8");
const MACS = { image: "aa-bb-cc-dd-ee-ff-00-11-22-33-44-55-66-77-88-99", initfs: "01-23-45-67-89-ab-cd-ef-01-23-45-67-89-ab-cd-ef" };

type Mode = "hw" | "edmm";
function build(text: string, mode: Mode) {
  const env = mode === "edmm" ? { envEnableEdmm: "Y" } : { envEnableEdmm: undefined };
  const loaded = loadConfig(text, { edmm: { envSgxMode: undefined, flagSgxMode: undefined, flagEnableEdmm: undefined, ...env } });
  return { xml: enclaveXml(loaded.resolved.layout), json: internalConfigJson(loaded.input, loaded.resolved, MACS), loaded };
}

const cases: [string, string, Mode, string, string][] = [
  ["example 1: template, non-EDMM", TEMPLATE_OCCLUM_JSON, "hw", "example1-hw.xml", "example1-hw.json"],
  ["example 2: template, ENABLE_EDMM=Y", TEMPLATE_OCCLUM_JSON, "edmm", "example2-edmm.xml", "example2-edmm.json"],
  ["example 3: EDMM-aware config, non-EDMM", golden("example3.Occlum.json"), "hw", "example3-hw.xml", "example3-hw.json"],
  ["example 3: EDMM-aware config, EDMM", golden("example3.Occlum.json"), "edmm", "example3-edmm.xml", "example3-edmm.json"],
  ["example 4: release, KSS, PKU/AMX, ext2, non-EDMM", golden("example4.Occlum.json"), "hw", "example4-hw.xml", "example4.json"],
  ["example 4: release, KSS, PKU/AMX, ext2, EDMM", golden("example4.Occlum.json"), "edmm", "example4-edmm.xml", "example4.json"],
];

for (const [name, input, mode, xmlFile, jsonFile] of cases) {
  test(name, () => {
    const out = build(input, mode);
    assert.equal(out.xml, golden(xmlFile));
    assert.equal(out.json, golden(jsonFile));
    assert.equal(out.loaded.config.edmm.enabled, mode === "edmm");
  });
}

test("example 2 through feature.enable_edmm: same Enclave.xml, feature copied as written", () => {
  const text = TEMPLATE_OCCLUM_JSON.replace('"enable_edmm": false', '"enable_edmm": true');
  const out = build(text, "hw");
  assert.equal(out.xml, golden("example2-edmm.xml"));
  assert.equal(out.json, golden("example2-edmm.json").replace('"enable_edmm": false', '"enable_edmm": true'));
  assert.equal(out.loaded.config.edmm.decidedBy, "feature.enable_edmm");
});

test("example 4 details: decimal KSS ids, DisableDebug, UserRegionSize == init when init == max", () => {
  const { config } = build(golden("example4.Occlum.json"), "edmm").loaded;
  assert.equal(config.metadata.extProdId.low, 0xabcdefn);
  assert.equal(config.metadata.familyId.high, 1234605616436508552n);
  assert.equal(config.enclave.UserRegionSize, 20n << 30n);
  assert.equal(config.metadata.disableLog, true);
});

test("golden outputs have no trailing newline (as Occlum writes them)", () => {
  const out = build(TEMPLATE_OCCLUM_JSON, "hw");
  assert.ok(!out.xml.endsWith("\n") && !out.json.endsWith("\n"));
  assert.ok(!out.xml.includes("\n"));
});
