import { inspectFilter, inspectPackages, inspectTotals } from "../../../src/api-check/inspect";

const good = { package_id: "1", package_name: "dws_daily", apply_timestamp: 1_764_000_000_000, apply_user_name: "dev", deploy_status: 2, deploy_timestamp: 1_764_000_100_000, deploy_user_name: "rev" };

describe("checking sample packages", () => {
  it("finds nothing wrong with documented packages", () => {
    expect(inspectPackages([good, { ...good, package_id: 2, deploy_status: 1, deploy_timestamp: 0, deploy_user_name: undefined }])).toEqual([]);
  });

  it("fails a missing required field and counts it once per field", () => {
    const { apply_timestamp: _a, ...noApply } = good;
    expect(inspectPackages([noApply, noApply, good])).toEqual([{ severity: "fail", message: "2 of 3 sample package(s) lack apply_timestamp" }]);
  });

  it("warns when an optional field is missing from every package, or of the wrong type", () => {
    const { package_name: _n, ...noName } = good;
    expect(inspectPackages([noName])).toEqual([{ severity: "warn", message: "1 of 1 sample package(s) lack package_name" }]);
    expect(inspectPackages([{ ...good, apply_user_name: 42 }])).toEqual([
      { severity: "warn", message: "1 of 1 sample package(s) have apply_user_name of type number, expected string" },
    ]);
  });

  it("fails timestamps in seconds or microseconds, not 13-digit milliseconds", () => {
    expect(inspectPackages([{ ...good, apply_timestamp: 1_764_000_000 }])).toEqual([
      { severity: "fail", message: "1 of 1 sample package(s) have a apply_timestamp that is not 13-digit Unix milliseconds (e.g. 1764000000)" },
    ]);
    expect(inspectPackages([{ ...good, deploy_timestamp: 1_764_000_000_000_000 }])[0]!.message).toContain("deploy_timestamp");
  });

  it("warns once per undocumented deploy_status value", () => {
    const found = inspectPackages([{ ...good, deploy_status: 4 }, { ...good, deploy_status: 4 }, { ...good, deploy_status: 9 }]);
    expect(found.map((f) => f.message)).toEqual([
      expect.stringContaining("deploy_status 4 is outside the documented set (1, 2, 3, 5) in 2 sample package(s)"),
      expect.stringContaining("deploy_status 9 is outside the documented set (1, 2, 3, 5) in 1 sample package(s)"),
    ]);
  });
});

describe("checking filters and totals", () => {
  it("fails a page that holds statuses the filter did not ask for", () => {
    expect(inspectFilter({ deploy_status_filter: [5] }, [{ ...good, deploy_status: 5 }])).toEqual([]);
    expect(inspectFilter({ deploy_status_filter: [5] }, [{ ...good, deploy_status: 2 }])[0]!.message).toContain("does not apply deploy_status_filter");
    expect(inspectFilter({}, [good])).toEqual([]);
  });

  it("compares the per-status totals with the unfiltered total", () => {
    const counts = { pending_review: 1, succeeded: 2, failed: 0, releasing: 0 };
    expect(inspectTotals(counts, 3)).toEqual([]);
    expect(inspectTotals(counts, 4)[0]).toMatchObject({ severity: "warn" });
    expect(inspectTotals(counts, 2)[0]).toMatchObject({ severity: "fail" });
    expect(inspectTotals(counts, undefined)).toEqual([]);
  });
});
