/** Validation of API answers: what the exporter reads must be there and of the right type. */
import { z } from "zod";
import { ApiError } from "./api-error";
import { ReleasePackagePage, WorkspacePage } from "./model";

/**
 * Checks only what the exporter relies on. The API page marks every field optional, and a
 * pending package has no deployer: the fields the exporter does not use pass through unchecked
 * (absent, null or anything), and the texts it shows as labels read as absent unless strings.
 */
const timestamp = z.number().finite().nonnegative();
const optionalText = z
  .unknown()
  .optional()
  .transform((v) => (typeof v === "string" ? v : undefined));
const releasePackage = z
  .object({
    package_id: z.union([z.string(), z.number()]).transform(String),
    package_name: optionalText,
    apply_timestamp: timestamp,
    apply_user_name: optionalText,
    deploy_status: z.number().int(),
    deploy_timestamp: timestamp.nullish().transform((v) => v ?? 0),
  })
  .loose();

const releasePackagePage = z.object({
  data: z.array(releasePackage),
  total: z.number().int().nonnegative(),
});

const workspacePage = z.object({
  count: z.number().int().nonnegative(),
  total_page: z.number().optional(),
  // A workspace without a name is shown by its id.
  data: z.array(z.object({ id: z.string(), name: optionalText.transform((v) => v ?? "") }).loose()),
});

function parseJson(body: string, requestId: string | undefined): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError("invalid_response", "response body is not JSON", { status: 200, requestId });
  }
}

function validate<T>(schema: z.ZodType<T>, body: string, requestId: string | undefined): T {
  const result = schema.safeParse(parseJson(body, requestId));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join(".") : "(body)";
  throw new ApiError("invalid_response", `invalid response: ${field}: ${issue.message}`, { status: 200, requestId });
}

export function parseReleasePackagePage(body: string, requestId?: string): ReleasePackagePage {
  return validate(releasePackagePage, body, requestId) as ReleasePackagePage;
}

export function parseWorkspacePage(body: string, requestId?: string): WorkspacePage {
  return validate(workspacePage, body, requestId);
}

const errorBody = z.object({ error_code: z.string().optional(), error_msg: z.string().optional() }).loose();

/** The service's `{error_code, error_msg}`, when the body is one. */
export function parseErrorBody(body: string): { errorCode?: string; errorMsg?: string } {
  try {
    const parsed = errorBody.safeParse(JSON.parse(body));
    if (parsed.success) return { errorCode: parsed.data.error_code, errorMsg: parsed.data.error_msg };
  } catch {
    // HTML error pages from gateways are common; they carry no code.
  }
  return {};
}
