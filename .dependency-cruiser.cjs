/**
 * The layer rule, enforced by `npm run lint:deps` (part of `npm test`):
 * config < dataarts < polling < metrics < http < root wiring (src/*.ts);
 * a layer never imports a higher one, clock.ts may be imported by anyone,
 * there are no import cycles (the simulator included), and the simulator
 * stands on its own but for the API's model and signer.
 */
const ROOT = "^src/[^/]+\\.ts$";
const CLOCK = "^src/clock\\.ts$";
const layer = (name) => `^src/${name}/`;
const anyOf = (...paths) => `(${paths.join("|")})`;

/** A rule that keeps `from` away from the layers above it (root wiring, minus clock.ts, is above all). */
function below(from, higher, comment) {
  return {
    name: `${from}-not-to-higher-layers`,
    comment,
    severity: "error",
    from: { path: layer(from) },
    to: { path: anyOf(...higher.map(layer), ROOT), pathNot: CLOCK },
  };
}

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "An import cycle ties modules that should be separable; none anywhere, the simulator included.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    below("config", ["dataarts", "polling", "metrics", "http", "simulator"], "Config is the lowest layer: it reads YAML and knows nothing of what uses it."),
    below("dataarts", ["polling", "metrics", "http", "simulator"], "The API client knows nothing of polling, metrics, HTTP serving or wiring."),
    below("polling", ["metrics", "http", "simulator"], "Polling knows nothing of metrics, HTTP serving or wiring."),
    below("metrics", ["http", "simulator"], "Metrics render state; they know nothing of HTTP serving or wiring."),
    below("http", ["simulator"], "The HTTP server is handed its handlers by the wiring."),
    {
      name: "simulator-stands-alone",
      comment: "The simulator may use the API's model and signer (the contract it plays), nothing else of the exporter.",
      severity: "error",
      from: { path: layer("simulator") },
      to: { path: "^src/", pathNot: anyOf(layer("simulator"), "^src/dataarts/(model|signer)\\.ts$") },
    },
    {
      name: "simulator-only-for-the-demo",
      comment: "Production code never loads the simulator; only the demo (loaded for --demo) does.",
      severity: "error",
      from: { path: "^src/", pathNot: anyOf(layer("simulator"), "^src/demo\\.ts$") },
      to: { path: layer("simulator") },
    },
    {
      name: "api-check-only-from-the-entry-point",
      comment: "--api.check wires config, client and polling like the root does: no layer below uses it.",
      severity: "error",
      from: { path: "^src/", pathNot: anyOf("^src/api-check/", ROOT) },
      to: { path: "^src/api-check/" },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import that resolves to nothing.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count: a type from a higher layer is a dependency on it too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "\\.md$" },
  },
};
