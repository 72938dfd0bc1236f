/** Hand-made packages with round numbers, so query expectations can be read off directly. */
import type { ReleasePackage } from "../../src/dataarts/model";
import type { Scenario } from "../../src/simulator";

export const P = "p0000000000000000000000000000001";
export const W1 = "w0000000000000000000000000000001";
export const W2 = "w0000000000000000000000000000002";
export const INSTANCE = "i0000000000000000000000000000001";

export function pkg(id: number, status: number, apply: number, deploy: number, name: string, applicant: string, deployer?: string): ReleasePackage {
  return {
    package_id: String(id),
    package_name: name,
    apply_timestamp: apply,
    apply_user_name: applicant,
    deploy_status: status,
    deploy_timestamp: deploy,
    ...(deployer ? { deploy_user_name: deployer } : {}),
    workspace_id: W1,
    project_id: `${P}-workspace-${W1}`,
  };
}

/** Ten packages in W1: ids 1..10 applied at 1000..10000, three pending, one releasing, four succeeded, two failed. */
export const TEN: ReleasePackage[] = [
  pkg(1, 2, 1000, 1500, "ods_order_detail_20260101", "alice", "rev_x"),
  pkg(2, 2, 2000, 9500, "dws_sales_daily_20260102", "bob", "rev_y"),
  pkg(3, 3, 3000, 3500, "ODS_Order_Refund_20260103", "alice", "rev_x"),
  pkg(4, 1, 4000, 0, "dim_customer_20260104", "carol"),
  pkg(5, 2, 5000, 5500, "ads_gmv_20260105", "bob", "rev_y"),
  pkg(6, 5, 6000, 6500, "ods_order_detail_20260106", "carol", "rev_x"),
  pkg(7, 1, 7000, 0, "dws_user_active_20260107", "alice"),
  pkg(8, 3, 8000, 8500, "ads_risk_20260108", "dave", "rev_y"),
  pkg(9, 2, 9000, 9000, "dim_product_20260109", "alice", "rev_x"),
  pkg(10, 1, 10000, 0, "ods_erp_invoice_20260110", "bob"),
];

export function tenScenario(): Scenario {
  return {
    projects: [{
      projectId: P,
      instanceId: INSTANCE,
      workspaces: [
        { id: W1, name: "Ten", isDefault: true, packages: TEN },
        { id: W2, name: "Empty", packages: [] },
      ],
    }],
  };
}

export function ids(data: ReadonlyArray<{ package_id: string }>): number[] {
  return data.map((p) => Number(p.package_id));
}
