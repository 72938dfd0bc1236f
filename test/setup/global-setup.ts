// Jest's globalSetup: gives the run its own temporary directory (temp-root.ts).
import { createTempRoot } from "./temp-root";

export default function globalSetup(): void {
  createTempRoot();
}
