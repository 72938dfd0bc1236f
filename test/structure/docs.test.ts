/**
 * The docs cannot drift: README stays short and links into docs/, every relative link
 * (and #anchor) in README.md, CHANGELOG.md and docs/ points at something, and the
 * module map in docs/development.md lists exactly the files under src/.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const DOCS = ["README.md", "CHANGELOG.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** Markdown without fenced code blocks and inline code, where headings and links are not what they seem. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, (code) => " ".repeat(code.length));
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const [, heading] of text.matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const slug = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Every inline link target `[text](target)` outside code. */
function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

/** Why a relative link from `file` is broken, or undefined when it resolves. */
function broken(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // absolute: https:, mailto:
  const [path, anchor] = target.split("#", 2) as [string, string | undefined];
  const resolved = path === "" ? join(ROOT, file) : resolve(join(ROOT, dirname(file)), decodeURIComponent(path));
  if (!existsSync(resolved)) return `${file}: ${target}: no such file`;
  if (anchor === undefined) return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith(".md")) return `${file}: ${target}: an anchor into a file that has no headings`;
  if (!anchors(readFileSync(resolved, "utf8")).has(anchor)) return `${file}: ${target}: no heading with that anchor`;
  return undefined;
}

describe("the README", () => {
  const readme = read("README.md");

  it("stays short: well under 12 KB", () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12 * 1024);
  });

  it("gives the two quick-start commands exactly", () => {
    expect(readme).toContain("\nnpm ci && npm run demo\n");
    expect(readme).toContain("\nnpm ci && npm test\n");
  });

  it("links to each page of docs/", () => {
    const targets = links(readme).map((t) => t.split("#")[0]);
    for (const page of ["configuration", "metrics", "runbooks", "deployment", "development"]) {
      expect(targets).toContain(`docs/${page}.md`);
    }
  });
});

describe("relative links in README.md, CHANGELOG.md and docs/", () => {
  it.each(DOCS)("all resolve, #anchors included, in %s", (file) => {
    const found = links(read(file));
    expect(found.map((t) => broken(file, t)).filter(Boolean)).toEqual([]);
  });

  it("are checked for real: a link to a missing file or anchor is reported", () => {
    expect(broken("docs/metrics.md", "configuration.md#keys")).toBeUndefined();
    expect(broken("docs/metrics.md", "configuration.md#no-such-heading")).toMatch(/no heading/);
    expect(broken("README.md", "docs/missing.md")).toMatch(/no such file/);
    expect(broken("README.md", "#quick-start")).toBeUndefined();
    expect(links("see [a](b.md) and `[c](d.md)`\n```\n[e](f.md)\n```\n")).toEqual(["b.md"]);
  });

  it("name headings the way GitHub does", () => {
    expect([...anchors("# Runbook: DataArtsWorkspaceDown\n## `--shard` and total\n## A\n## A\n")]).toEqual([
      "runbook-dataartsworkspacedown",
      "--shard-and-total",
      "a",
      "a-1",
    ]);
  });
});

describe("the module map in docs/development.md", () => {
  const sourceFiles = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    );
  const map = read("docs/development.md").split("## Module map")[1]!.split(/^## /m)[0]!;
  const listed = [...map.matchAll(/^\| `(src\/[^`]+)` \|/gm)].map((m) => m[1]!);

  it("lists every source file once", () => {
    const tree = sourceFiles("src").map((f) => relative(ROOT, join(ROOT, f)).split("\\").join("/"));
    expect(tree.filter((f) => !listed.includes(f))).toEqual([]);
    expect(listed.length).toBe(new Set(listed).size);
  });

  it("lists nothing that does not exist", () => {
    expect(listed.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
  });
});

describe("source file headers", () => {
  it("open every file under src/ (after a shebang) with one line saying what it owns", () => {
    const files = (dir: string): string[] =>
      readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
      );
    const headless = files("src").filter((f) => {
      const lines = read(f).split("\n");
      const first = lines[0]!.startsWith("#!") ? lines[1]! : lines[0]!;
      return !/^\/\*\* \S.* \*\/$/.test(first);
    });
    expect(headless).toEqual([]);
  });
});
