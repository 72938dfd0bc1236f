/** The fault schema: what a scenario or the control API may inject, validated with zod. */
import { z } from "zod";
import { OPTIONAL_PACKAGE_FIELDS, type Fault } from "./types";

/** A huge error_msg is at most this long, so that a fault cannot exhaust the simulator. */
export const MAX_ERROR_MSG_BYTES = 20 * 1024 * 1024;

const times = z.number().int().positive().optional();

export const faultSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("server_error"), status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(), html: z.boolean().optional(), times }),
  z.strictObject({ kind: z.literal("throttle"), retryAfter: z.string().min(1).optional(), times }),
  z.strictObject({ kind: z.literal("slow"), delayMs: z.number().int().nonnegative().max(600_000), times }),
  z.strictObject({ kind: z.literal("hang"), times }),
  z.strictObject({ kind: z.literal("malformed_json"), times }),
  z.strictObject({
    kind: z.literal("wrong_shape"),
    variant: z.enum(["data_not_array", "total_not_number", "timestamp_not_number", "not_an_object"]),
    times,
  }),
  z.strictObject({ kind: z.literal("html"), times }),
  z.strictObject({
    kind: z.literal("status"),
    status: z.number().int().min(400).max(599),
    errorCode: z.string().min(1),
    errorMsg: z.string().optional(),
    errorMsgBytes: z.number().int().positive().max(MAX_ERROR_MSG_BYTES).optional(),
    times,
  }),
  z.strictObject({ kind: z.literal("null_fields"), fields: z.array(z.enum(OPTIONAL_PACKAGE_FIELDS)).min(1).optional(), times }),
  z.strictObject({ kind: z.literal("truncated"), times }),
]);

/** Validates a fault from an untyped source (HTTP control route or a test's literal); throws with the reasons. */
export function checkFault(input: unknown): Fault {
  const parsed = faultSchema.safeParse(input);
  if (!parsed.success) throw new Error(`invalid fault: ${z.prettifyError(parsed.error).replace(/\n/g, "; ")}`);
  return parsed.data;
}
