#!/usr/bin/env node
// @ts-check
// Writes base/prometheusrule.yaml: the groups of prometheus/alerts.yml wrapped in
// a Prometheus Operator PrometheusRule, so both ship the same alerts.
// Run from the repository root: `npm run prometheusrule`. test/kubernetes.test.ts
// fails while the two differ.
"use strict";
const { readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");
const { parse, stringify } = require("yaml");

const root = join(__dirname, "..", "..");
const alerts = parse(readFileSync(join(root, "prometheus/alerts.yml"), "utf8"));
const rule = {
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PrometheusRule",
  metadata: { name: "dataarts-exporter", labels: { "app.kubernetes.io/name": "dataarts-exporter" } },
  spec: { groups: alerts.groups },
};
const header = "# Generated from prometheus/alerts.yml by `npm run prometheusrule`: edit that file, not this one.\n";
const out = join(__dirname, "base", "prometheusrule.yaml");
// lineWidth 0: never fold long expressions and descriptions.
writeFileSync(out, header + stringify(rule, { lineWidth: 0 }));
console.log(`wrote ${out}`);
