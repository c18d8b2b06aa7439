/**
 * UID/GID of the `postgres` user in the official Postgres image. The database's
 * host directory (provisioning) and the pod's fsGroup (platform) must agree.
 */
export const POSTGRES_UID = 999;
