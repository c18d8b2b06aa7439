import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import * as random from "@pulumi/random";
import { PlatformSettings, TunnelSettings } from "../config/schema";
import { onlyOnNodes } from "./placement";
import { ScalableWorkload } from "./workload";
import { componentType, formerPlatformType, withFormerTypes } from "../lib/typeTokens";

type EnabledTunnel = Extract<TunnelSettings, { enabled: true }>;

/** K3s's Traefik, where the tunnel delivers traffic (TLS inside is self-signed). */
export const TRAEFIK_ORIGIN = "https://traefik.kube-system.svc.cluster.local:443";

/** cloudflared's routing: every public host to Traefik on 443, anything else 404. */
export function tunnelIngressRules(hosts: readonly string[]) {
    return [
        ...hosts.map((hostname) => ({
            hostname,
            service: TRAEFIK_ORIGIN,
            originRequest: { noTlsVerify: true, originServerName: hostname, httpHostHeader: hostname },
        })),
        { service: "http_status:404" },
    ];
}

/**
 * The tunnel secret Cloudflare wants (base64 of at least 32 bytes) from a random
 * password of letters and digits: its bytes, base64-encoded. Not a
 * `random.RandomBytes`: the random provider makes a RandomBytes' value its
 * resource id, and the state keeps ids in plain text.
 */
export function tunnelSecret(password: string): string {
    const bytes = Buffer.from(password, "utf8");
    if (bytes.length < 32) throw new Error(`tunnel secret: expected at least 32 random bytes, got ${bytes.length}`);
    return bytes.toString("base64");
}

export interface TunnelArgs {
    readonly settings: EnabledTunnel;
    readonly domains: PlatformSettings["domains"];
    readonly namespace: pulumi.Input<string>;
    readonly image: string;
    /** K3s nodes that reach the internet: cloudflared runs only there. */
    readonly internetNodes: readonly string[];
    readonly priorityClass: pulumi.Input<string>;
}

export const TUNNEL_TYPE = componentType("components", "Tunnel");

/** A Cloudflare Tunnel, its routes and DNS, and cloudflared on a node with the internet. */
export class Tunnel extends pulumi.ComponentResource {
    public readonly tunnelId: pulumi.Output<string>;

    constructor(name: string, args: TunnelArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TUNNEL_TYPE, name, {}, withFormerTypes(opts, [formerPlatformType("Tunnel")]));
        const { accountId, zoneId } = args.settings;
        const hosts = [args.domains.frontend, args.domains.api, args.domains.auth];

        // 44 letters and digits: about 262 bits.
        const secret = new random.RandomPassword(`${name}-tunnel-secret`, { length: 44, special: false }, { parent: this });
        const tunnel = new cloudflare.ZeroTrustTunnelCloudflared(
            `${name}-tunnel`,
            { accountId, name: args.settings.name, configSrc: "cloudflare", tunnelSecret: pulumi.secret(secret.result.apply(tunnelSecret)) },
            { parent: this },
        );
        this.tunnelId = tunnel.id;
        new cloudflare.ZeroTrustTunnelCloudflaredConfig(
            `${name}-config`,
            { accountId, tunnelId: tunnel.id, config: { ingresses: tunnelIngressRules(hosts) } },
            { parent: this },
        );
        hosts.forEach((host, i) => {
            new cloudflare.DnsRecord(
                `${name}-dns-${i}`,
                { zoneId, name: host, type: "CNAME", content: pulumi.interpolate`${tunnel.id}.cfargotunnel.com`, proxied: true, ttl: 1, comment: "picluster tunnel" },
                { parent: this },
            );
        });
        const token = cloudflare.getZeroTrustTunnelCloudflaredTokenOutput({ accountId, tunnelId: tunnel.id }, { parent: this });

        new ScalableWorkload(
            `${name}-cloudflared`,
            {
                appName: "cloudflared",
                namespace: args.namespace,
                image: args.image,
                port: 2000,
                args: ["tunnel", "--no-autoupdate", "--metrics", "0.0.0.0:2000", "run"],
                secretEnv: { TUNNEL_TOKEN: pulumi.secret(token.token) },
                scaling: { mode: "fixed", replicas: 1, resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } } },
                probe: { httpPath: "/ready" },
                priorityClassName: args.priorityClass,
                affinity: onlyOnNodes(args.internetNodes),
                service: false,
            },
            { parent: this },
        );
        this.registerOutputs({ tunnelId: this.tunnelId });
    }
}
