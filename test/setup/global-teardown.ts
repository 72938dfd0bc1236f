// Jest's globalTeardown: removes the run's temporary directory, whatever the tests left in it.
import { removeTempRoot } from "./temp-root";

export default function globalTeardown(): void {
  removeTempRoot();
}
