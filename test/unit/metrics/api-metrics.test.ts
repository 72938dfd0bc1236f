import { ApiMetrics, METRIC_FAMILIES as F } from "../../../src/metrics/families";
import { family } from "../../helpers/promtool";

const labels = (i: number, code = "200") => ({ projectId: "p1", workspaceId: `w${i}`, workspace: `ws-${i}`, code });
const countOf = (text: string, workspaceId: string, code = "200") =>
  family(text, F.apiRequests).find((s) => s.labels.workspace_id === workspaceId && s.labels.code === code)?.value;

describe("API request counts rendered in pieces", () => {
  it("show every change, whichever piece it falls in, and keep the unchanged pieces as they were", () => {
    const api = new ApiMetrics();
    for (let i = 0; i < 450; i++) api.observe(labels(i), 0.1);
    const first = [...api.chunks()];
    api.observe(labels(321), 0.1);
    const second = [...api.chunks()];
    expect(countOf(second.join(""), "w321")).toBe(2);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).not.toBe(first[1]);
    api.observe(labels(7, "429"), 0.1);
    const third = api.render();
    expect(countOf(third, "w7", "429")).toBe(1);
    expect(family(third, F.apiRequests)).toHaveLength(451);
    api.retain(new Set(["p1"]), new Set(["p1/w1"]));
    expect(family(api.render(), F.apiRequests).map((s) => s.labels.workspace_id)).toEqual(["w1"]);
  });
});
