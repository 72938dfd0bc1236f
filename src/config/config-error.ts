/** The one error class for an unusable config file or command line: every problem found, each naming its key path. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}
