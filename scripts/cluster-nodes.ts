/**
 * Prints, as JSON (a v1 List), the Node objects kwok plays for a stack's inventory
 * (default: dev). scripts/cluster.sh pipes it to `kubectl apply`.
 */
import { clusterInventory, kwokNodes } from "../harness/cluster";
import { readStackFile } from "../config/stackFile";
import { exitWith, stackArg } from "./cli";

async function main(): Promise<number> {
    const stack = stackArg(process.argv[2] || undefined);
    const { nodes, arch } = clusterInventory(readStackFile(stack).config);
    process.stdout.write(JSON.stringify({ apiVersion: "v1", kind: "List", items: kwokNodes(nodes, arch) }, null, 2) + "\n");
    return 0;
}

exitWith(main());
