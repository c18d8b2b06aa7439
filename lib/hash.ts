import { createHash } from "crypto";

/** Hex SHA-256 of a string; used to label provisioning steps and file contents. */
export function sha256(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex");
}
