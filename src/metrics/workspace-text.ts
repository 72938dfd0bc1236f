/** Per-workspace lines of each family, kept once: in groups of workspaces, each group one piece of a body. */
import type { WorkspaceState } from "../polling/state";
import { Piece } from "./piece";

/**
 * How many workspaces go into one group (one piece of a body). A poll changes one workspace,
 * so the next body re-renders and re-compresses at most one group per family.
 */
export const WORKSPACES_PER_GROUP = 100;

interface Group {
  /** The states the text was rendered from, in order. */
  states: WorkspaceState[];
  /** The time clock-moving lines were computed at (0 for lines that read only the state). */
  nowMs: number;
  /** The members' lines, one piece: the only copy of them that is kept (once compressed, only compressed). */
  piece: Piece;
  /** Where each member's lines end in the piece's text (UTF-16 units). */
  ends: Uint32Array;
}

/**
 * What renders one workspace's lines of a family: sample lines alone (no `#` line, no blank
 * line), which read the same in the text format and OpenMetrics, so a group is never converted.
 * It must read nothing but the state (and the time it is given).
 */
export type WorkspaceLines = (s: WorkspaceState) => string;

/**
 * Whether two states of one workspace (the same key, which labels come from) give a family the
 * same lines, read from what its lines read. Cheaper than rendering: a poll replaces every
 * state it ends, but most families' inputs come through it unchanged, and rendering them only
 * to find the text the same made tens of MB of garbage per body at 2 500 workspaces.
 */
export type SameLines = (a: WorkspaceState, b: WorkspaceState) => boolean;

/**
 * Keeps the rendered lines of every family, per group of workspaces. A member whose state is
 * the very one of last time is not rendered again; a member rendered again whose lines came
 * out the same (most polls change a workspace's timestamps, not its counts) leaves its group
 * the very same piece as before, so nothing downstream (conversion, compression) looks at it
 * again. Lines are not kept per workspace besides: a changed group takes its unchanged
 * members' lines out of its last text (inflated again if it was compressed).
 */
export class WorkspaceText {
  private readonly families = new Map<string, Group[]>();

  /**
   * The family's lines in groups of WORKSPACES_PER_GROUP workspaces, in the order of `states`,
   * each group made when it is asked for: a body's build lets the event loop run between
   * groups, and a family of a thousand workspaces would otherwise hold it for tens of ms.
   */
  *groups(family: string, states: readonly WorkspaceState[], lines: WorkspaceLines, nowMs = 0, same?: SameLines): Generator<Piece> {
    const kept = this.families.get(family) ?? [];
    // Groups past the end held workspaces that are gone: they go with the family's old list.
    // Left unfinished, the list lacks the groups not made, and those are made afresh next time.
    const next: Group[] = [];
    this.families.set(family, next);
    for (let i = 0, g = 0; i < states.length; i += WORKSPACES_PER_GROUP, g++) {
      const group = regroup(kept[g], states.slice(i, i + WORKSPACES_PER_GROUP), lines, nowMs, same);
      next.push(group);
      yield group.piece;
    }
  }
}

function regroup(old: Group | undefined, states: WorkspaceState[], lines: WorkspaceLines, nowMs: number, same?: SameLines): Group {
  const sameTime = old !== undefined && old.nowMs === nowMs;
  if (sameTime && old.states.length === states.length && old.states.every((s, j) => s === states[j])) return old;
  // A member's new lines, or its index when they are its old ones: those are taken out of the
  // old text only if the group changed, so an unchanged group is never inflated.
  const parts: Array<string | number> = [];
  let changed = old === undefined || old.states.length !== states.length;
  let oldText: string | undefined;
  const before = () => (oldText ??= old!.piece.text());
  const start = (j: number) => (j === 0 ? 0 : old!.ends[j - 1]!);
  for (let j = 0; j < states.length; j++) {
    const kept = old !== undefined && j < old.ends.length;
    if (sameTime && kept && (old.states[j] === states[j] || sameInputs(old.states[j]!, states[j]!, same))) {
      parts.push(j);
      continue;
    }
    const text = lines(states[j]!);
    // Lines that came out the same are the old ones, so that an unchanged group stays one piece.
    if (kept && text.length === old.ends[j]! - start(j) && before().startsWith(text, start(j))) parts.push(j);
    else {
      parts.push(text);
      changed = true;
    }
  }
  if (!changed) return { ...old!, states, nowMs };
  const texts = parts.map((p) => (typeof p === "string" ? p : before().slice(start(p), old!.ends[p])));
  const ends = new Uint32Array(states.length);
  let at = 0;
  texts.forEach((t, j) => (ends[j] = at += t.length));
  // join() writes one flat string: a string built by `+=` keeps every piece it was built from.
  return { states, nowMs, piece: new Piece(texts.join(""), true), ends };
}

function sameInputs(a: WorkspaceState, b: WorkspaceState, same?: SameLines): boolean {
  return same !== undefined && a.key === b.key && same(a, b);
}
