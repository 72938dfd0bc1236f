import { mergeLabels } from "../../../src/config/labels";
import { renderLandingPage } from "../../../src/http/landing";
import { initialState } from "../../../src/polling/state";

const page = (labels?: Record<string, string>) =>
  renderLandingPage({ version: "1.0.0", telemetryPath: "/metrics", nowMs: 0 }, [
    initialState({ projectId: "p", workspaceId: "w", name: "Finance Reporting", region: "r", ...(labels && { labels: mergeLabels(labels) }) }),
  ]);
const row = (html: string) => /<tbody>\n(.*)\n<\/tbody>/.exec(html)?.[1];

describe("the landing page's workspace table", () => {
  it("has a labels column showing each workspace's config labels in name order", () => {
    const html = page({ team: "finance-data", cost_center: "4711" });
    expect(html).toContain("<th>workspace</th><th>labels</th><th>state</th>");
    expect(row(html)).toBe(
      "<tr><td>p</td><td>w</td><td>Finance Reporting</td><td>cost_center=&#34;4711&#34;, team=&#34;finance-data&#34;</td><td>down</td><td>never</td></tr>",
    );
  });

  it("escapes label values for HTML, after writing them as the exposition format does", () => {
    const html = page({ team: '<img src=x onerror="alert(1)">' });
    expect(html).not.toContain("<img");
    // The value's own quotes stay backslash-escaped, as on the series: the label's closing quote is the last one.
    expect(row(html)).toContain("team=&#34;&#60;img src=x onerror=\\&#34;alert(1)\\&#34;&#62;&#34;");
    expect(row(page({ path: "C:\\dir" }))).toContain("path=&#34;C:\\\\dir&#34;");
  });

  it("leaves the cell empty for a workspace without labels", () => {
    expect(row(page())).toContain("<td>Finance Reporting</td><td></td><td>down</td>");
  });
});
