// Usage: node scripts/release-dir.mjs DIST OUT
// Lays out what a GoReleaser run uploads as a flat release directory (the
// assets by their published names: archives, bare binaries, SBOMs and
// checksums.txt), reading DIST/artifacts.json. The release workflow attests
// these files; scripts/release-check.sh installs from them.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const [dist, out] = process.argv.slice(2);
if (!dist || !out) {
  console.error("usage: node scripts/release-dir.mjs DIST OUT");
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const uploaded = new Set(["Archive", "Binary", "SBOM", "Checksum"]);
let n = 0;
for (const a of JSON.parse(readFileSync(join(dist, "artifacts.json"), "utf8"))) {
  // Bare binaries of the "binary" archive are named stepgate_<version>_<os>_<arch>;
  // plain build outputs ("stepgate", "stepgate.exe") are not uploaded.
  if (!uploaded.has(a.type) || (a.type === "Binary" && !a.name.startsWith("stepgate_"))) continue;
  copyFileSync(a.path, join(out, a.name));
  n++;
}
const meta = JSON.parse(readFileSync(join(dist, "metadata.json"), "utf8"));
console.log(`v${meta.version} ${n}`);
