import type * as LezerPromQL from "@prometheus-io/lezer-promql" with { "resolution-mode": "import" };

// The package is an ES module with a CommonJS build under `require`; TypeScript only
// sees its ES types, so load the CommonJS build explicitly and borrow the types.
const { parser } = require("@prometheus-io/lezer-promql") as typeof LezerPromQL;

/**
 * Reads PromQL with the parser of Prometheus' own web UI, so the dashboard and
 * alert tests judge queries the way Prometheus does, not with a regex.
 */

export interface Matcher {
  label: string;
  op: string;
  value: string;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
  /** The function whose range vector this selector is, e.g. `rate` in `rate(x[5m])`. */
  rangeFunction?: string;
}

export interface Analysis {
  /** Where the parser gave up, with a little context: empty for a valid query. */
  errors: string[];
  selectors: Selector[];
}

/**
 * Grafana substitutes its interval variables before a query reaches Prometheus;
 * do the same so the parser sees a duration. Label-value variables such as
 * `"$job"` sit inside strings and need no substitution.
 */
export function expandGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, "5m");
}

export function analyze(expr: string): Analysis {
  const errors: string[] = [];
  const selectors: Selector[] = [];
  const text = (from: number, to: number) => expr.slice(from, to);
  parser.parse(expr).iterate({
    enter(ref) {
      if (ref.type.isError) {
        errors.push(`syntax error at ${ref.from}: …${text(Math.max(0, ref.from - 20), ref.to + 20)}…`);
      }
      if (ref.name !== "VectorSelector") return;
      const node = ref.node;
      const identifier = node.getChild("Identifier");
      const matchers: Matcher[] = [];
      for (const m of node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []) {
        const [label, op, value] = ["LabelName", "MatchOp", "StringLiteral"].map((n) => m.getChild(n));
        if (!label || !op || !value) continue;
        matchers.push({ label: text(label.from, label.to), op: text(op.from, op.to), value: unquote(text(value.from, value.to)) });
      }
      const nameMatcher = matchers.find((m) => m.label === "__name__" && m.op === "=");
      const metric = identifier ? text(identifier.from, identifier.to) : (nameMatcher?.value ?? "");
      const call = node.parent?.name === "MatrixSelector" ? node.parent.parent?.parent : undefined;
      const fn = call?.name === "FunctionCall" ? call.getChild("FunctionIdentifier") : undefined;
      selectors.push({ metric, matchers, ...(fn ? { rangeFunction: text(fn.from, fn.to) } : {}) });
    },
  });
  return { errors, selectors };
}

/** Drops the quotes; escapes stay as written, which is enough to compare matcher values. */
function unquote(literal: string): string {
  return literal.slice(1, -1);
}
