// Writes dist/build-info.json with the git revision and branch, for dataarts_exporter_build_info.
const { execFileSync } = require("node:child_process");
const { writeFileSync, mkdirSync } = require("node:fs");
let revision = process.env.DATAARTS_EXPORTER_REVISION || "unknown";
if (revision === "unknown") {
  try {
    revision = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    // Not a git checkout (a container build): the revision stays unknown.
  }
}
let branch = process.env.DATAARTS_EXPORTER_BRANCH || "unknown";
if (branch === "unknown") {
  try {
    branch = execFileSync("git", ["rev-parse", "--abbrev-ref", "HEAD"], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    // Not a git checkout: the branch stays unknown.
  }
}
mkdirSync("dist", { recursive: true });
writeFileSync("dist/build-info.json", JSON.stringify({ revision, branch }) + "\n");
