import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { componentType, formerPlatformType, PROJECT, withFormerTypes } from "../../lib/typeTokens";
import { ROOT } from "../helpers/program";

describe("component type tokens", () => {
    it("are the project's name, the folder and the class", () => {
        expect(PROJECT).toBe(YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).name);
        expect(componentType("components", "Database")).toBe("picluster:components:Database");
        expect(componentType("provisioning", "ServerNode")).toBe("picluster:provisioning:ServerNode");
        expect(formerPlatformType("Database")).toBe("picluster:platform:Database");
    });

    it.each(["database", "Data base", "", "Data:base"])("refuse the kind %j", (kind) => {
        expect(() => componentType("components", kind)).toThrow(`component kind: expected a PascalCase name, got ${JSON.stringify(kind)}`);
    });

    it("add the former types as aliases, keeping the options and any aliases already given", () => {
        const opts = withFormerTypes({ protect: true, aliases: [{ name: "old-name" }] }, ["picluster:platform:Database"]);
        expect(opts).toEqual({ protect: true, aliases: [{ name: "old-name" }, { type: "picluster:platform:Database" }] });
        expect(withFormerTypes(undefined, [])).toEqual({ aliases: [] });
    });
});
