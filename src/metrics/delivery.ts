/** The flow-of-delivery families (successes, review wait) and the accounting ones (baselines, state file). */
import { Family, Labels, familyChunks, renderFamily } from "./exposition";
import { family, workspaceLine } from "./families";
import { WorkspaceText } from "./workspace-text";
import { BodyPiece, textOf } from "./piece";
import { RESET_REASONS, REVIEW_WAIT_BUCKETS, ResetReason, WorkspaceState } from "../polling/state";

export const DELIVERY_FAMILIES = {
  successes: "dataarts_release_package_successes_total",
  lastPackageSuccess: "dataarts_release_package_last_success_timestamp_seconds",
  reviewWait: "dataarts_release_package_review_wait_seconds",
  accountingResets: "dataarts_exporter_accounting_resets_total",
  stateLastWrite: "dataarts_exporter_state_last_write_success_timestamp_seconds",
  stateWriteErrors: "dataarts_exporter_state_write_errors_total",
} as const;

const D = DELIVERY_FAMILIES;

/** What the exporter itself knows about its accounting; `storage` only with `--storage.path`. */
export interface AccountingInfo {
  resets: Record<ResetReason, number>;
  storage?: { lastWriteSuccessMs?: number; writeErrors: number };
}

export function renderDelivery(states: WorkspaceState[], info: AccountingInfo, text = new WorkspaceText()): string {
  return [...deliveryChunks(states, info, text)].map(textOf).join("");
}

/** The delivery families in pieces: per-workspace lines are kept in groups (workspace-text.ts), as in families.ts. */
export function* deliveryChunks(states: WorkspaceState[], info: AccountingInfo, text = new WorkspaceText()): Generator<BodyPiece> {
  yield* familyChunks(
    family(D.successes, "counter", "Packages seen entering the succeeded status, each release counted once (kept across restarts with --storage.path).", states, (s) =>
      // Restored counters are held back until the first poll has caught up (a reset to Prometheus otherwise).
      s.countersHeld ? [] : [{ value: s.successesTotal }],
    text),
  );
  yield* familyChunks(
    family(D.lastPackageSuccess, "gauge", "Release time of the newest succeeded package (from the last poll).", states, (s) =>
      s.data?.lastSucceededMs === undefined ? [] : [{ value: s.data.lastSucceededMs / 1000 }],
    text),
  );
  yield* reviewWaitChunks(states, text);
  const resets: Family = {
    name: D.accountingResets,
    type: "counter",
    help: "Workspaces whose accounting started from a new baseline instead of catching up, by reason.",
    samples: RESET_REASONS.map((reason) => ({ labels: [["reason", reason]] as Labels, value: info.resets[reason] })),
  };
  let out = renderFamily(resets);
  if (info.storage) {
    out += renderFamily({
      name: D.stateWriteErrors,
      type: "counter",
      help: "Writes of the state file (--storage.path) that failed.",
      samples: [{ labels: [], value: info.storage.writeErrors }],
    });
    if (info.storage.lastWriteSuccessMs !== undefined) {
      out += renderFamily({
        name: D.stateLastWrite,
        type: "gauge",
        help: "Time the state file (--storage.path) was last written.",
        samples: [{ labels: [], value: info.storage.lastWriteSuccessMs / 1000 }],
      });
    }
  }
  yield out;
}

const BUCKET = `${D.reviewWait}_bucket`;
const LE: Labels[] = REVIEW_WAIT_BUCKETS.map((le) => [["le", String(le)]]);
const LE_INF: Labels = [["le", "+Inf"]];

function* reviewWaitChunks(all: WorkspaceState[], text: WorkspaceText): Generator<BodyPiece> {
  const states = all.filter((s) => !s.countersHeld);
  if (states.length === 0) return;
  yield* familyChunks({
    name: D.reviewWait,
    type: "histogram",
    help: "Time from applying for a release to its deployment (deploy − apply time), observed once per ended release.",
    samples: [],
    chunks: text.groups(D.reviewWait, states, (s) => {
      const h = s.reviewWait;
      let out = "";
      REVIEW_WAIT_BUCKETS.forEach((le, i) => (out += workspaceLine(BUCKET, s, h.buckets[i]!, LE[i])));
      out += workspaceLine(BUCKET, s, h.count, LE_INF);
      out += workspaceLine(`${D.reviewWait}_sum`, s, h.sum);
      out += workspaceLine(`${D.reviewWait}_count`, s, h.count);
      return out;
    }, 0, (a, b) => a.reviewWait === b.reviewWait),
  });
}
