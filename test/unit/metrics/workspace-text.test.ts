import { Piece } from "../../../src/metrics/piece";
import { WORKSPACES_PER_GROUP, WorkspaceText } from "../../../src/metrics/workspace-text";
import { WorkspaceState, initialState } from "../../../src/polling/state";

const state = (i: number, up = true): WorkspaceState => ({ ...initialState({ projectId: "p", workspaceId: `w${i}`, name: `w${i}`, region: "r" }), up });
const line = (s: WorkspaceState) => `up{workspace_id="${s.key.workspaceId}"} ${s.up ? 1 : 0}\n`;
/** A family's groups, every one made (groups are made as they are read). */
const all = (groups: Iterable<Piece>) => [...groups];
const joined = (pieces: Piece[]) => pieces.map((p) => p.text()).join("");

describe("the kept lines of a family", () => {
  const many = Array.from({ length: WORKSPACES_PER_GROUP * 2 + 5 }, (_, i) => state(i));

  it("puts every workspace's lines in order into groups of WORKSPACES_PER_GROUP", () => {
    const groups = all(new WorkspaceText().groups("up", many, line));
    expect(groups).toHaveLength(3);
    expect(joined(groups)).toBe(many.map(line).join(""));
    expect(groups[2]!.text().split("\n").filter(Boolean)).toHaveLength(5);
  });

  it("renders only the workspaces whose state was replaced", () => {
    const text = new WorkspaceText();
    all(text.groups("up", many, line));
    const rendered: string[] = [];
    const next = [...many];
    next[150] = state(150, false);
    all(text.groups("up", next, (s) => (rendered.push(s.key.workspaceId), line(s))));
    expect(rendered).toEqual(["w150"]);
  });

  it("changes only the group of a workspace whose lines changed, with the others' lines intact", () => {
    const text = new WorkspaceText();
    const before = all(text.groups("up", many, line));
    const next = [...many];
    next[150] = state(150, false);
    const after = all(text.groups("up", next, line));
    expect(after[0]).toBe(before[0]);
    expect(after[2]).toBe(before[2]);
    expect(after[1]).not.toBe(before[1]);
    expect(joined(after)).toBe(next.map(line).join(""));
  });

  it("renders every workspace again when the time moves, for lines that read the clock", () => {
    const text = new WorkspaceText();
    const aged = (nowMs: number) => (s: WorkspaceState) => `age{workspace_id="${s.key.workspaceId}"} ${nowMs / 1000}\n`;
    all(text.groups("age", many.slice(0, 3), aged(1000), 1000));
    const again = all(text.groups("age", many.slice(0, 3), aged(2000), 2000));
    expect(joined(again)).toBe(many.slice(0, 3).map(aged(2000)).join(""));
  });

  it("does not render a workspace again whose new state the family's own test finds the same", () => {
    const text = new WorkspaceText();
    const sameUp = (a: WorkspaceState, b: WorkspaceState) => a.up === b.up;
    const before = all(text.groups("up", many, line, 0, sameUp));
    const next = [...many];
    next[150] = { ...many[150]!, lastSuccessMs: 42 };
    const rendered: string[] = [];
    const after = all(text.groups("up", next, (s) => (rendered.push(s.key.workspaceId), line(s)), 0, sameUp));
    expect(rendered).toEqual([]);
    expect(after[1]).toBe(before[1]);
  });

  it("renders a workspace again when the family's test finds its state different", () => {
    const text = new WorkspaceText();
    const sameUp = (a: WorkspaceState, b: WorkspaceState) => a.up === b.up;
    all(text.groups("up", many, line, 0, sameUp));
    const next = [...many];
    next[150] = { ...many[150]!, up: false };
    const rendered: string[] = [];
    const after = all(text.groups("up", next, (s) => (rendered.push(s.key.workspaceId), line(s)), 0, sameUp));
    expect(rendered).toEqual(["w150"]);
    expect(joined(after)).toBe(next.map(line).join(""));
  });

  it("renders a workspace again whose key changed, whatever the family's test says", () => {
    const text = new WorkspaceText();
    all(text.groups("up", many, line, 0, () => true));
    const next = [...many];
    next[150] = state(999);
    const rendered: string[] = [];
    const after = all(text.groups("up", next, (s) => (rendered.push(s.key.workspaceId), line(s)), 0, () => true));
    expect(rendered).toEqual(["w999"]);
    expect(joined(after)).toBe(next.map(line).join(""));
  });

  it("drops the groups of workspaces that are gone", () => {
    const text = new WorkspaceText();
    all(text.groups("up", many, line));
    const fewer = all(text.groups("up", many.slice(0, 10), line));
    expect(fewer).toHaveLength(1);
    expect(fewer[0]!.text()).toBe(many.slice(0, 10).map(line).join(""));
  });

  it("holds a compressed group only compressed, and builds a changed group from its inflated lines", async () => {
    const named = many.map((s, i) => ({ ...s, key: { ...s.key, name: `é${i}€` } }));
    const withName = (s: WorkspaceState) => `up{workspace="${s.key.name}"} ${s.up ? 1 : 0}\n`;
    const text = new WorkspaceText();
    const before = all(text.groups("up", named, withName));
    await Promise.all(before.map((p) => p.deflated()));
    expect(before.map((p) => p.packed)).toEqual([true, true, true]);
    const next = [...named];
    next[150] = { ...named[150]!, up: false };
    const rendered: string[] = [];
    const after = all(text.groups("up", next, (s) => (rendered.push(s.key.name), withName(s))));
    expect(rendered).toEqual(["é150€"]);
    expect(after[0]).toBe(before[0]);
    expect(after[1]!.packed).toBe(false);
    expect(joined(after)).toBe(next.map(withName).join(""));
  });

  it("makes each group only when it is read, and makes afresh next time the groups a partial read left out", () => {
    const text = new WorkspaceText();
    const rendered: string[] = [];
    const counted = (s: WorkspaceState) => (rendered.push(s.key.workspaceId), line(s));
    const groups = text.groups("up", many, counted);
    expect(rendered).toHaveLength(0);
    const first = groups.next().value as Piece;
    expect(rendered).toHaveLength(WORKSPACES_PER_GROUP);
    rendered.length = 0;
    const again = all(text.groups("up", many, counted));
    expect(again[0]).toBe(first);
    expect(rendered).toHaveLength(many.length - WORKSPACES_PER_GROUP);
    expect(joined(again)).toBe(many.map(line).join(""));
  });
});
