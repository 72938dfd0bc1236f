import { launchOf } from "../../../bench/cli-launch";

describe("the launch a CLI's first line gives", () => {
  it("takes the words before node as its environment and those after as node's flags", () => {
    expect(launchOf("#!/usr/bin/env -S A_=1 B=x=y node --one=1 --two")).toEqual({ nodeEnv: { A_: "1", B: "x=y" }, nodeFlags: ["--one=1", "--two"] });
  });

  it("is plain node, with nothing added, for a first line that does not run node through env -S", () => {
    for (const line of ["#!/usr/bin/env node", "#!/usr/bin/env -S python3 -u", "/** no shebang */"]) expect(launchOf(line)).toEqual({ nodeEnv: {}, nodeFlags: [] });
  });
});
