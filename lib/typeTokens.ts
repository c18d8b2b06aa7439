/**
 * Type tokens of the program's components, named after the folder that holds
 * them (`picluster:components:Database`, `picluster:provisioning:ServerNode`),
 * and the aliases that let a token be renamed without touching what it owns.
 *
 * A component's type is part of every URN under it, so a new token alone would
 * make the engine delete and recreate each child: the Postgres volume included
 * (whose protection would then stop the update). With the old token as an alias,
 * the engine moves the state to the new URNs and changes nothing on the cluster.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The project name (Pulumi.yaml): the package of every component type token. */
export const PROJECT = "picluster";

/** Folders whose classes are components. */
export type ComponentFolder = "components" | "provisioning";

/** `picluster:<folder>:<Kind>`. */
export function componentType(folder: ComponentFolder, kind: string): string {
    if (!/^[A-Z][A-Za-z0-9]*$/.test(kind)) throw new Error(`component kind: expected a PascalCase name, got ${JSON.stringify(kind)}`);
    return `${PROJECT}:${folder}:${kind}`;
}

/** `opts` plus aliases for each former type token of the component (same name and parent). */
export function withFormerTypes(opts: pulumi.ComponentResourceOptions | undefined, formerTypes: readonly string[]): pulumi.ComponentResourceOptions {
    return { ...opts, aliases: [...(opts?.aliases ?? []), ...formerTypes.map((type) => ({ type }))] };
}

/** The token every class under components/ had before tokens were named after folders. */
export function formerPlatformType(kind: string): string {
    return `${PROJECT}:platform:${kind}`;
}
