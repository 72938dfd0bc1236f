/** The DataArts Studio API simulator: public API. */
export { createSimulator, type Simulator } from "./app";
export { startSimulator, type RunningSimulator, type SimulatorTls, type StartOptions } from "./server";
export { SIM_CREDENTIALS, SIGNATURE_WINDOW_MS } from "./auth";
export { scenarioByName, SCENARIO_NAMES, type ScenarioOptions } from "./scenarios";
export { generatePackages, type GenerateSpec, type StatusName } from "./generate";
export { isLoopback, CONTROL_PREFIX } from "./control-routes";
export { checkFault } from "./fault-schema";
export { OPTIONAL_PACKAGE_FIELDS, type OptionalPackageField } from "./types";
export type {
  Fault,
  FaultKind,
  LifeConfig,
  RequestCounts,
  Scenario,
  ScenarioProject,
  ScenarioWorkspace,
  SimulatorControl,
  SimulatorOptions,
  WorkspaceInput,
  WrongShapeVariant,
} from "./types";
export type { ReleasePackage } from "../dataarts/model";
