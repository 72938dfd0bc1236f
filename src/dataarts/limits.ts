/** Limits on what the service may send back, shared by every transport. */

/** Far above a page of 100 packages (about 100 KB). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
